#!/usr/bin/env bash
# make bisect: every prefix of the series builds.  Each commit above base is
# checked out in turn in a worktree (build/linux-bisect), and make configs
# builds what the series touches there, on BISECT_CONFIGS (default: the slim
# guest config and the USERFAULTFD=n KSM=n one, W=1, no new warnings).
# Too slow for CI on two cores (about a minute a commit per config).
set -eu
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/tree.sh"
wt=$BUILD/linux-bisect
if [ ! -e "$wt/.git" ]; then
	msg "making worktree $wt"
	git -C "$TREE" worktree add -q --detach "$wt" "$BASE_TAG"
fi
commits=$(git -C "$TREE" rev-list --reverse "$BASE_TAG"..HEAD)
total=$(wc -w <<<"$commits")
n=0
start=$(date +%s)
for c in $commits; do
	n=$((n + 1))
	git -C "$wt" checkout -q --detach "$c"
	msg "[$n/$total] $(git -C "$wt" log -1 --format='%h %s')"
	# The commit's own diff decides what is built: targets come from base..HEAD of the worktree.
	if ! TREE=$wt CONFIGS_TAG=bisect CONFIGS="${BISECT_CONFIGS:-slim no-uffd-ksm}" \
		"$TOP/scripts/configs.sh" >"$BUILD/bisect-$n.log" 2>&1; then
		tail -15 "$BUILD/bisect-$n.log" >&2
		die "patch $n of $total ($(git -C "$wt" log -1 --format=%s "$c")) does not build cleanly (log: $BUILD/bisect-$n.log)"
	fi
done
echo "bisect: all $total prefixes of the series build on ${BISECT_CONFIGS:-slim no-uffd-ksm} with no new W=1 warnings, $(elapsed "$start")"
