#!/bin/sh
# Sharing the rules: a bare upstream repository that maintainers push
# reviewed commits to; rules_dir a clone or a bare repository; `avvik rules
# pull` brings a commit in by fast-forward only.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 27

exits "init" 0 avvik --db a.db init --rules-dir rules
git clone -q --bare rules upstream.git
printf '[avvik]\ndb = a.db\nrules_dir = rules\nrules_upstream = upstream.git\n' >a.conf
exits "pull with nothing new" 0 avvik --config a.conf rules pull
like "says it is up to date" last.out 'rules: up to date \([0-9a-f]{12}\)'

# a maintainer clones, changes a rule, pushes the reviewed commit
git clone -q upstream.git maint
printf '\n# reviewed change\n' >>maint/categories.yaml
git -C maint commit -qam "rules: a reviewed change"
ok "the maintainer can push to the bare upstream" git -C maint push -q origin main
new=$(git -C maint rev-parse HEAD)
exits "rules pull" 0 avvik --config a.conf rules pull
like "fast-forwards and names the commits" last.out "rules: fast-forwarded [0-9a-f]{12}\.\.${new%"${new#????????????}"} from .*upstream\.git"
is "the rules repository's branch is at the pushed commit" "$(git -C rules rev-parse HEAD)" "$new"
like "and its work tree has the change" rules/categories.yaml '^# reviewed change$'
is "the work tree is clean" "$(git -C rules status --porcelain)" ""
exits "classify uses it" 0 avvik --config a.conf classify
like "names the pulled commit" last.out "under rules commit ${new%"${new#????????????}"}"

# local edits in the way are not overwritten
printf '\n# second\n' >>maint/categories.yaml
git -C maint commit -qam "rules: a second change" && git -C maint push -q origin main
printf '\n# a local edit\n' >>rules/categories.yaml
exits "pull refuses to overwrite a local edit: exit 2" 2 avvik --config a.conf rules pull
like "and says what to do" last.err "commit or undo the local changes: 'git -C .*rules status'"
like "the edit is still there" rules/categories.yaml '^# a local edit$'
git -C rules checkout -q -- categories.yaml

# a local commit the upstream lacks: no fast-forward
git -C rules commit -q --allow-empty -m "local only"
exits "diverged: exit 2" 2 avvik --config a.conf rules pull
like "names the way out" last.err "no fast-forward \(push the local ones for review"
git -C rules reset -q --hard HEAD~1

# rules_dir a bare repository, as on a server
git clone -q --bare upstream.git server.git
git -C maint commit -q --allow-empty -m "rules: a third change" && git -C maint push -q origin main
printf '[avvik]\ndb = b.db\nrules_dir = server.git\nrules_upstream = upstream.git\n' >b.conf
exits "init with a bare rules_dir keeps it" 0 avvik --config b.conf init
like "says so" last.out 'server\.git: rules repository exists, kept'
exits "pull into the bare repository" 0 avvik --config b.conf rules pull
is "its branch is at the upstream's" "$(git -C server.git rev-parse main)" "$(git -C upstream.git rev-parse main)"
exits "classify from the bare repository" 0 avvik --config b.conf classify
like "under the pulled commit" last.out "under rules commit $(git -C upstream.git rev-parse --short=12 main)"

# a clone pulls from its origin without rules_upstream
git clone -q upstream.git clone-rules
printf '[avvik]\ndb = c.db\nrules_dir = clone-rules\n' >c.conf
avvik --config c.conf init >/dev/null
exits "a clone pulls from origin" 0 avvik --config c.conf rules pull
git -C rules remote add origin ../upstream.git
printf '[avvik]\ndb = a.db\nrules_dir = rules\n' >o.conf
exits "an origin given as a relative path is relative to the repository" 0 avvik --config o.conf rules pull
is "and the pull brought its commits" "$(git -C rules rev-parse HEAD)" "$(git -C upstream.git rev-parse main)"
git init -q -b main lone
git -C lone commit -q --allow-empty -m x
printf '[avvik]\ndb = c.db\nrules_dir = lone\n' >d.conf
exits "no upstream at all: exit 2" 2 avvik --config d.conf rules pull
like "names both fixes" last.err "set rules_upstream in the config, or 'git -C .*lone remote add origin LOCATION'"
done_testing
