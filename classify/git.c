/*
 * git.c - the rules repository through libgit2: creating it from the
 * shipped rule set, and reading a rule set from one commit's tree (never
 * the work tree), so every classification can name the commit it used.
 */
#include "classify/classify_int.h"

#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_RULE_FILE (16u << 20)

static void classify_git_err(sbuf *err, const char *where, const char *what)
{
	const git_error *e = git_error_last();

	if (err->len)
		sbuf_addch(err, '\n');
	sbuf_addf(err, "%s: %s: %s", where, what, e && e->message ? e->message : "unknown libgit2 error");
}

/* ---------------- avvik init ---------------- */

/* 1 when dir does not exist or has no entries. */
static int classify_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return errno == ENOENT;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* Adds every regular, non-hidden file of dir to tb as a blob. */
static int classify_add_dir(git_repository *repo, git_treebuilder *tb, const char *dir, sbuf *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	sbuf path = SBUF_INIT, data = SBUF_INIT;
	int rc = 0;

	if (!d) {
		sbuf_addf(err, "%s: expected a rules directory to seed from: %s", dir, strerror(errno));
		return -1;
	}
	while (!rc && (de = readdir(d))) {
		struct stat st;
		git_oid oid;

		if (de->d_name[0] == '.')
			continue;
		sbuf_reset(&path);
		sbuf_addf(&path, "%s/%s", dir, de->d_name);
		if (stat(path.buf, &st) || !S_ISREG(st.st_mode))
			continue;
		sbuf_reset(&data);
		if (sbuf_read_file(&data, path.buf, MAX_RULE_FILE)) {
			sbuf_addf(err, "%s: cannot read: %s", path.buf, strerror(errno));
			rc = -1;
		} else if (git_blob_create_from_buffer(&oid, repo, data.buf, data.len) ||
			   git_treebuilder_insert(NULL, tb, de->d_name, &oid, GIT_FILEMODE_BLOB)) {
			classify_git_err(err, path.buf, "cannot store as a git blob");
			rc = -1;
		}
	}
	closedir(d);
	sbuf_release(&path);
	sbuf_release(&data);
	return rc;
}

int classify_repo_init(const char *dir, const char *seed_dir, sbuf *err)
{
	git_repository *repo = NULL;
	git_repository_init_options opts;
	git_checkout_options co;
	git_treebuilder *root = NULL, *sub = NULL;
	git_oid sub_oid, root_oid, commit_oid;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	sbuf rules_dir = SBUF_INIT;
	struct stat st;
	int rc = -1, repaired = 0;

	git_libgit2_init();
	/* the _INIT macros trip -Wmissing-field-initializers */
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	if (!git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		int unborn = git_repository_head_unborn(repo);
		if (unborn < 0) {
			classify_git_err(err, dir, "cannot read HEAD of the rules repository");
			sbuf_addf(err, " (repair it with git, e.g. 'git -C %s status', or move it away and run "
				  "'avvik init' again)", dir);
			goto out;
		}
		if (!unborn) {
			git_repository_free(repo);
			git_libgit2_shutdown();
			return 1;
		}
		/* a repository without a commit: what a failed init leaves */
		repaired = 1;
	} else if (!classify_dir_empty(dir)) {
		sbuf_addf(err, "%s: exists and is not a git repository; move it away ('mv %s %s.old') "
			  "and run 'avvik init' again, or set rules_dir to a repository", dir, dir, dir);
		goto out;
	} else {
		opts.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
		opts.initial_head = "main";
		if (git_repository_init_ext(&repo, dir, &opts)) {
			classify_git_err(err, dir, "cannot create the rules repository");
			goto out;
		}
	}
	if (git_treebuilder_new(&root, repo, NULL) || git_treebuilder_new(&sub, repo, NULL)) {
		classify_git_err(err, dir, "cannot build a tree");
		goto out;
	}
	if (classify_add_dir(repo, root, seed_dir, err))
		goto out;
	sbuf_addf(&rules_dir, "%s/rules", seed_dir);
	if (stat(rules_dir.buf, &st) || !S_ISDIR(st.st_mode)) {
		sbuf_addf(err, "%s: expected a rules/ directory in the seed", rules_dir.buf);
		goto out;
	}
	if (classify_add_dir(repo, sub, rules_dir.buf, err))
		goto out;
	if (git_treebuilder_write(&sub_oid, sub) ||
	    git_treebuilder_insert(NULL, root, "rules", &sub_oid, GIT_FILEMODE_TREE)) {
		classify_git_err(err, dir, "cannot write the tree");
		goto out;
	}
	/* the labelled examples the model learns from, when the seed has them */
	sbuf_reset(&rules_dir);
	sbuf_addf(&rules_dir, "%s/training", seed_dir);
	if (!stat(rules_dir.buf, &st) && S_ISDIR(st.st_mode)) {
		git_treebuilder_clear(sub);
		if (classify_add_dir(repo, sub, rules_dir.buf, err))
			goto out;
		if (git_treebuilder_write(&sub_oid, sub) ||
		    git_treebuilder_insert(NULL, root, "training", &sub_oid, GIT_FILEMODE_TREE)) {
			classify_git_err(err, dir, "cannot write the tree");
			goto out;
		}
	}
	if (git_treebuilder_write(&root_oid, root) || git_tree_lookup(&tree, repo, &root_oid)) {
		classify_git_err(err, dir, "cannot write the tree");
		goto out;
	}
	/* the user's identity when git knows one, else a fixed one so init
	 * works on a fresh server */
	if (git_signature_default(&sig, repo) && git_signature_now(&sig, "avvik", "avvik@localhost")) {
		classify_git_err(err, dir, "cannot make a commit signature");
		goto out;
	}
	if (git_commit_create(&commit_oid, repo, "HEAD", sig, sig, NULL, "avvik init: default rules\n", tree, 0,
			      NULL)) {
		classify_git_err(err, dir, "cannot commit the default rules");
		goto out;
	}
	/* maintainers edit the rules in the work tree: check the commit out
	 * (a bare repository has none).  In a repository that was there before,
	 * files in the way are the user's: refused, not overwritten. */
	co.checkout_strategy = repaired ? GIT_CHECKOUT_SAFE : GIT_CHECKOUT_FORCE;
	if (!git_repository_is_bare(repo) && git_checkout_head(repo, &co)) {
		classify_git_err(err, dir, "cannot check out the default rules");
		if (repaired)
			sbuf_addf(err, " (commit the files in the way: 'git -C %s add -A && git -C %s commit', "
				  "or move them away, and run 'avvik init' again)", dir, dir);
		goto out;
	}
	rc = repaired ? 2 : 0;
out:
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(sub);
	git_treebuilder_free(root);
	git_repository_free(repo);
	sbuf_release(&rules_dir);
	git_libgit2_shutdown();
	return rc;
}

/* ---------------- loading from a commit ---------------- */

static int classify_add_blob(git_repository *repo, const git_tree_entry *e, const char *name,
			     classify_file **files, size_t *n, sbuf *err)
{
	git_blob *blob = NULL;
	classify_file *f;
	git_object_size_t size;

	if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB && git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e))) {
		classify_git_err(err, name, "cannot read the blob");
		return -1;
	}
	size = git_blob_rawsize(blob);
	if (size > MAX_RULE_FILE) {
		sbuf_addf(err, "%s:1:1: expected a rule file under %u bytes", name, MAX_RULE_FILE);
		git_blob_free(blob);
		return -1;
	}
	*files = xrealloc(*files, (*n + 1) * sizeof **files);
	f = &(*files)[(*n)++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
	f->path = xstrdup(name);
	sbuf_init(&f->data, (size_t)size);
	sbuf_add(&f->data, git_blob_rawcontent(blob), (size_t)size);
	git_blob_free(blob);
	return 0;
}

int classify_rules_load(classify_rules **out, const char *repo_path, const char *rev, sbuf *err)
{
	git_repository *repo = NULL;
	git_object *obj = NULL, *cobj = NULL;
	git_tree *tree = NULL, *rules_tree = NULL;
	classify_file *files = NULL;
	size_t n = 0, i;
	char hex[GIT_OID_HEXSZ + 1];
	const git_tree_entry *e;
	sbuf where = SBUF_INIT;
	int rc = -1;

	*out = NULL;
	if (!rev)
		rev = "HEAD";
	git_libgit2_init();
	if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		classify_git_err(err, repo_path, "expected a rules git repository (run avvik init)");
		goto out;
	}
	sbuf_addf(&where, "%s@%s", repo_path, rev);
	if (git_revparse_single(&obj, repo, rev)) {
		classify_git_err(err, where.buf, "expected a revision naming a commit");
		goto out;
	}
	if (git_object_peel(&cobj, obj, GIT_OBJECT_COMMIT) ||
	    git_commit_tree(&tree, (git_commit *)cobj)) {
		classify_git_err(err, where.buf, "expected a revision naming a commit");
		goto out;
	}
	git_oid_tostr(hex, sizeof hex, git_object_id(cobj));
	for (i = 0; i < git_tree_entrycount(tree); i++) {
		const char *name;
		e = git_tree_entry_byindex(tree, i);
		name = git_tree_entry_name(e);
		if ((!strcmp(name, "categories.yaml") || !strcmp(name, "orgs.yaml")) &&
		    classify_add_blob(repo, e, name, &files, &n, err))
			goto out;
	}
	if ((e = git_tree_entry_byname(tree, "rules")) && git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&rules_tree, repo, git_tree_entry_id(e))) {
			classify_git_err(err, where.buf, "cannot read rules/");
			goto out;
		}
		for (i = 0; i < git_tree_entrycount(rules_tree); i++) {
			sbuf name = SBUF_INIT;
			int bad;
			e = git_tree_entry_byindex(rules_tree, i);
			sbuf_addf(&name, "rules/%s", git_tree_entry_name(e));
			bad = classify_add_blob(repo, e, name.buf, &files, &n, err);
			sbuf_release(&name);
			if (bad)
				goto out;
		}
	}
	rc = classify_rules_build(out, hex, files, n, err);
	if (rc)
		sbuf_addf(err, " (in commit %.12s)", hex);
out:
	classify_files_free(files, n);
	git_tree_free(rules_tree);
	git_tree_free(tree);
	git_object_free(cobj);
	git_object_free(obj);
	git_repository_free(repo);
	sbuf_release(&where);
	git_libgit2_shutdown();
	return rc;
}

/* ---------------- the labelled examples of a commit ---------------- */

int classify_trainset_load(classify_trainset *t, const char *repo_path, const char *rev, char commit_out[41],
			   sbuf *err)
{
	git_repository *repo = NULL;
	git_object *obj = NULL, *cobj = NULL;
	git_tree *tree = NULL, *sub = NULL;
	classify_file *files = NULL;
	const git_tree_entry *e;
	size_t n = 0, i;
	sbuf where = SBUF_INIT;
	int rc = -1;

	if (!rev)
		rev = "HEAD";
	git_libgit2_init();
	sbuf_addf(&where, "%s@%s", repo_path, rev);
	if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		classify_git_err(err, repo_path, "expected a rules git repository (run avvik init)");
		goto out;
	}
	if (git_revparse_single(&obj, repo, rev) || git_object_peel(&cobj, obj, GIT_OBJECT_COMMIT) ||
	    git_commit_tree(&tree, (git_commit *)cobj)) {
		classify_git_err(err, where.buf, "expected a revision naming a commit");
		goto out;
	}
	git_oid_tostr(commit_out, 41, git_object_id(cobj));
	if (!(e = git_tree_entry_byname(tree, "training")) || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		sbuf_addf(err, "%s: expected a training/ directory of labelled *.tsv files in commit %.12s",
			  repo_path, commit_out);
		goto out;
	}
	if (git_tree_lookup(&sub, repo, git_tree_entry_id(e))) {
		classify_git_err(err, where.buf, "cannot read training/");
		goto out;
	}
	/* tree entries come in name order: the examples' order is the commit's */
	for (i = 0; i < git_tree_entrycount(sub); i++) {
		const char *name;
		size_t len;
		sbuf path = SBUF_INIT;
		int bad;
		e = git_tree_entry_byindex(sub, i);
		name = git_tree_entry_name(e);
		len = strlen(name);
		if (name[0] == '.' || len < 5 || strcmp(name + len - 4, ".tsv"))
			continue;
		sbuf_addf(&path, "training/%s", name);
		bad = classify_add_blob(repo, e, path.buf, &files, &n, err);
		sbuf_release(&path);
		if (bad)
			goto out;
	}
	for (i = 0, rc = 0; i < n && !rc; i++)
		rc = classify_trainset_read(t, files[i].name, files[i].data.buf, files[i].data.len, err);
out:
	classify_files_free(files, n);
	git_tree_free(sub);
	git_tree_free(tree);
	git_object_free(cobj);
	git_object_free(obj);
	git_repository_free(repo);
	sbuf_release(&where);
	git_libgit2_shutdown();
	return rc;
}

/* ---------------- history: avvik rules log ---------------- */

/* Rule id -> a canonical dump of its YAML (positions left out), so a
 * moved rule is not "changed" but an edited one is. */
typedef struct {
	char **id, **canon;
	size_t n;
	int broken;
} classify_idset;

static void classify_canon(const cy_node *n, sbuf *out)
{
	size_t i;

	if (!n)
		return;
	switch (n->kind) {
	case CY_SCALAR:
		sbuf_addf(out, "s%zu:", strlen(n->str));
		sbuf_adds(out, n->str);
		break;
	case CY_SEQ:
	case CY_MAP:
		sbuf_addch(out, n->kind == CY_SEQ ? '[' : '{');
		for (i = 0; i < n->n; i++)
			classify_canon(n->kids[i], out);
		sbuf_addch(out, n->kind == CY_SEQ ? ']' : '}');
		break;
	}
}

static void classify_idset_free(classify_idset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->id[i]);
		free(s->canon[i]);
	}
	free(s->id);
	free(s->canon);
	memset(s, 0, sizeof *s);
}

static const char *classify_idset_get(const classify_idset *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->id[i], id))
			return s->canon[i];
	return NULL;
}

/* Reads the rule ids of a commit's tree leniently: a file that does not
 * parse marks the set broken and adds nothing. */
static void classify_idset_of(git_repository *repo, git_commit *c, classify_idset *out)
{
	git_tree *tree = NULL, *rt = NULL;
	const git_tree_entry *e;
	size_t i, j, k;

	memset(out, 0, sizeof *out);
	if (git_commit_tree(&tree, c))
		return;
	if (!(e = git_tree_entry_byname(tree, "rules")) || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&rt, repo, git_tree_entry_id(e))) {
		git_tree_free(tree);
		return;
	}
	for (i = 0; i < git_tree_entrycount(rt); i++) {
		const git_tree_entry *fe = git_tree_entry_byindex(rt, i);
		const char *name = git_tree_entry_name(fe);
		size_t len = strlen(name);
		git_blob *blob = NULL;
		cy_node *root = NULL;
		sbuf err = SBUF_INIT;
		static const char *const lists[] = { "rules", "mappings" };

		if (!(len > 5 && !strcmp(name + len - 5, ".yaml")) && !(len > 4 && !strcmp(name + len - 4, ".yml")))
			continue;
		if (git_tree_entry_type(fe) != GIT_OBJECT_BLOB || git_blob_lookup(&blob, repo, git_tree_entry_id(fe)))
			continue;
		if (classify_yaml_parse(name, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), &root, &err)) {
			out->broken = 1;
		} else {
			for (k = 0; k < 2; k++) {
				const cy_node *list = classify_map_get(root, lists[k]);
				for (j = 0; list && list->kind == CY_SEQ && j < list->n; j++) {
					const cy_node *id = classify_map_get(list->kids[j], "id");
					sbuf canon = SBUF_INIT;
					if (!id || id->kind != CY_SCALAR)
						continue;
					classify_canon(list->kids[j], &canon);
					out->id = xrealloc(out->id, (out->n + 1) * sizeof *out->id);
					out->canon = xrealloc(out->canon, (out->n + 1) * sizeof *out->canon);
					out->id[out->n] = xstrdup(id->str);
					out->canon[out->n++] = sbuf_detach(&canon, NULL);
				}
			}
		}
		classify_yaml_free(root);
		sbuf_release(&err);
		git_blob_free(blob);
	}
	git_tree_free(rt);
	git_tree_free(tree);
}

static void classify_iso_time(const git_time *t, sbuf *out)
{
	time_t secs = (time_t)t->time + (time_t)t->offset * 60;
	struct tm tm;
	char buf[32];
	int off = t->offset < 0 ? -t->offset : t->offset;

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	sbuf_addf(out, "%s%c%02d:%02d", buf, t->offset < 0 ? '-' : '+', off / 60, off % 60);
}

int classify_rules_log(const char *repo_path, const char *rev, int max, classify_log_fn fn, void *ctx, sbuf *err)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_object *obj = NULL;
	git_oid oid;
	int rc = -1, count = 0;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		classify_git_err(err, repo_path, "expected a rules git repository (run avvik init)");
		goto out;
	}
	if (git_revparse_single(&obj, repo, rev ? rev : "HEAD") || git_revwalk_new(&walk, repo) ||
	    git_revwalk_push(walk, git_object_id(obj))) {
		classify_git_err(err, repo_path, "expected a revision naming a commit");
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TIME | GIT_SORT_TOPOLOGICAL);
	rc = 0;
	while (!rc && (max <= 0 || count < max) && !git_revwalk_next(&oid, walk)) {
		git_commit *c = NULL, *parent = NULL;
		classify_idset now, before;
		classify_log_entry e;
		sbuf add = SBUF_INIT, del = SBUF_INIT, chg = SBUF_INIT, date = SBUF_INIT;
		const git_signature *a;
		const char *msg, *nl;
		size_t i;

		if (git_commit_lookup(&c, repo, &oid)) {
			classify_git_err(err, repo_path, "cannot read a commit");
			rc = -1;
			break;
		}
		count++;
		classify_idset_of(repo, c, &now);
		memset(&before, 0, sizeof before);
		if (git_commit_parentcount(c) > 0 && !git_commit_parent(&parent, c, 0))
			classify_idset_of(repo, parent, &before);
		for (i = 0; i < now.n; i++) {
			const char *old = classify_idset_get(&before, now.id[i]);
			sbuf *to = !old ? &add : strcmp(old, now.canon[i]) ? &chg : NULL;
			if (to)
				sbuf_addf(to, "%s%s", to->len ? "," : "", now.id[i]);
		}
		for (i = 0; i < before.n; i++)
			if (!classify_idset_get(&now, before.id[i]))
				sbuf_addf(&del, "%s%s", del.len ? "," : "", before.id[i]);
		memset(&e, 0, sizeof e);
		git_oid_tostr(e.id, sizeof e.id, &oid);
		a = git_commit_author(c);
		classify_iso_time(&a->when, &date);
		msg = git_commit_message(c);
		nl = msg ? strchr(msg, '\n') : NULL;
		e.subject = msg ? (nl ? xstrndup(msg, (size_t)(nl - msg)) : xstrdup(msg)) : xstrdup("");
		sbuf_addf(&date, "%s", "");
		e.date = sbuf_detach(&date, NULL);
		{
			sbuf au = SBUF_INIT;
			sbuf_addf(&au, "%s <%s>", a->name ? a->name : "", a->email ? a->email : "");
			e.author = sbuf_detach(&au, NULL);
		}
		e.added = sbuf_detach(&add, NULL);
		e.removed = sbuf_detach(&del, NULL);
		e.changed = sbuf_detach(&chg, NULL);
		e.broken = now.broken;
		rc = fn(ctx, &e);
		free(e.subject);
		free(e.date);
		free(e.author);
		free(e.added);
		free(e.removed);
		free(e.changed);
		classify_idset_free(&now);
		classify_idset_free(&before);
		git_commit_free(parent);
		git_commit_free(c);
	}
out:
	git_revwalk_free(walk);
	git_object_free(obj);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* ---------------- resolving and pulling ---------------- */

int classify_repo_resolve(const char *repo_path, const char *rev, char out[41], sbuf *err)
{
	git_repository *repo = NULL;
	git_object *obj = NULL, *commit = NULL;
	int rc = -1;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		classify_git_err(err, repo_path, "expected a rules repository (run 'avvik init')");
	} else if (git_revparse_single(&obj, repo, rev ? rev : "HEAD") ||
		   git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) {
		classify_git_err(err, repo_path, "expected a revision naming a commit");
		rc = -2;
	} else {
		git_oid_tostr(out, 41, git_object_id(commit));
		rc = 0;
	}
	git_object_free(commit);
	git_object_free(obj);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* ssh: the keys ssh-agent holds; anything else: no login. */
static int classify_pull_cred(git_credential **out, const char *url, const char *user, unsigned int allowed,
			      void *payload)
{
	(void)url;
	(void)payload;
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out, user ? user : "git");
	return GIT_PASSTHROUGH;
}

int classify_repo_pull(const char *dir, const char *upstream, char old_out[41], char new_out[41], sbuf *err)
{
	git_repository *repo = NULL;
	git_reference *head = NULL, *fetched = NULL, *moved = NULL;
	git_remote *remote = NULL;
	git_object *target = NULL;
	git_fetch_options fo;
	git_checkout_options co;
	git_remote_create_options ro;
	git_buf origin = { NULL, 0, 0 };
	sbuf branch = SBUF_INIT, spec = SBUF_INIT, track = SBUF_INIT, joined = SBUF_INIT;
	char *specs[1];
	git_strarray refspecs = { specs, 1 };
	const git_oid *up;
	git_oid local;
	int born, rc = -1;

	git_libgit2_init();
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	fo.callbacks.credentials = classify_pull_cred;
	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		classify_git_err(err, dir, "expected a rules repository (run 'avvik init')");
		goto out;
	}
	/* the branch HEAD names, born or not */
	if (git_reference_lookup(&head, repo, "HEAD") || git_reference_type(head) != GIT_REFERENCE_SYMBOLIC ||
	    strncmp(git_reference_symbolic_target(head), "refs/heads/", 11)) {
		sbuf_addf(err, "%s: HEAD is not on a branch (check one out: 'git -C %s switch main')", dir, dir);
		goto out;
	}
	sbuf_adds(&branch, git_reference_symbolic_target(head) + 11);
	born = !git_reference_name_to_id(&local, repo, "HEAD");
	/* the origin's url read from the config; the remote made without url
	 * rewriting (libgit2 1.5 leaks the insteadOf regex in lookups) */
	if (!upstream) {
		git_config *cfg = NULL;
		if (git_repository_config_snapshot(&cfg, repo) ||
		    git_config_get_string_buf(&origin, cfg, "remote.origin.url")) {
			git_config_free(cfg);
			sbuf_addf(err, "%s: no upstream to pull from: set rules_upstream in the config, or "
				  "'git -C %s remote add origin LOCATION'", dir, dir);
			goto out;
		}
		git_config_free(cfg);
		upstream = origin.ptr;
		/* a relative path is relative to the repository, as for git -C DIR */
		if (upstream[0] != '/' && !strchr(upstream, ':')) {
			const char *base = git_repository_workdir(repo);
			sbuf_addf(&joined, "%s/%s", base ? base : git_repository_path(repo), upstream);
			upstream = joined.buf;
		}
	}
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, upstream, &ro)) {
		classify_git_err(err, upstream, "expected a repository location (a path or a URL)");
		goto out;
	}
	sbuf_addf(&track, "refs/remotes/avvik-upstream/%s", branch.buf);
	sbuf_addf(&spec, "+refs/heads/%s:%s", branch.buf, track.buf);
	specs[0] = spec.buf;
	if (git_remote_fetch(remote, &refspecs, &fo, "avvik rules pull")) {
		classify_git_err(err, git_remote_url(remote), "cannot fetch");
		goto out;
	}
	if (git_reference_lookup(&fetched, repo, track.buf)) {
		classify_git_err(err, git_remote_url(remote), "the upstream has no such branch");
		sbuf_addf(err, " (expected a branch '%s' there)", branch.buf);
		goto out;
	}
	up = git_reference_target(fetched);
	git_oid_tostr(old_out, 41, born ? &local : up);
	git_oid_tostr(new_out, 41, up);
	if (born && git_oid_equal(&local, up)) {
		rc = 0;
		goto out;
	}
	if (born && git_graph_descendant_of(repo, up, &local) != 1) {
		if (git_graph_descendant_of(repo, &local, up) == 1) {
			git_oid_tostr(new_out, 41, &local);   /* ahead: nothing to bring in */
			rc = 0;
		} else {
			sbuf_addf(err, "%s: '%s' has commits the upstream lacks and the upstream has commits "
				  "it lacks: no fast-forward (push the local ones for review, then "
				  "'git -C %s reset --hard %s' and pull again)", dir, branch.buf, dir, track.buf);
		}
		goto out;
	}
	/* a fast-forward: the work tree first (refusing to overwrite local
	 * edits), then the branch */
	if (git_object_lookup(&target, repo, up, GIT_OBJECT_COMMIT)) {
		classify_git_err(err, dir, "cannot read the fetched commit");
		goto out;
	}
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	if (!git_repository_is_bare(repo) && git_checkout_tree(repo, target, &co)) {
		classify_git_err(err, dir, "cannot update the work tree");
		sbuf_addf(err, " (commit or undo the local changes: 'git -C %s status')", dir);
		goto out;
	}
	if (git_reference_create(&moved, repo, git_reference_symbolic_target(head), up, 1,
				 "avvik rules pull: fast-forward")) {
		classify_git_err(err, dir, "cannot move the branch");
		goto out;
	}
	rc = 0;
out:
	git_reference_free(moved);
	git_object_free(target);
	git_reference_free(fetched);
	git_remote_free(remote);
	git_buf_dispose(&origin);
	git_reference_free(head);
	git_repository_free(repo);
	sbuf_release(&branch);
	sbuf_release(&spec);
	sbuf_release(&track);
	sbuf_release(&joined);
	git_libgit2_shutdown();
	return rc;
}
