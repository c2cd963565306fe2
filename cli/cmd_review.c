/* cmd_review.c - avvik review: the review queue, the classifications most
 * worth a human look first (uncertainty sampling), so that each override
 * teaches the next model the most. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define REVIEW_EXCERPT 90   /* characters of subject and text shown */

typedef struct {
	long n;
	int json;
} review_run;

/* The start of subject and text on one line, cut at a character boundary. */
static void review_excerpt(sbuf *out, const char *subject, const char *text)
{
	sbuf all = SBUF_INIT;
	size_t n;

	if (subject && *subject) {
		sbuf_adds(&all, subject);
		sbuf_adds(&all, ": ");
	}
	sbuf_adds(&all, text);
	sbuf_squeeze_space(&all);
	n = all.len;
	if (n > REVIEW_EXCERPT) {
		n = REVIEW_EXCERPT;
		while (n && ((unsigned char)all.buf[n] & 0xc0) == 0x80)
			n--;
	}
	sbuf_add(out, all.buf, n);
	if (n < all.len)
		sbuf_adds(out, "…");
	sbuf_release(&all);
}

static const char *review_why(const store_review_row *r)
{
	if (r->model_category && r->rules_category && strcmp(r->model_category, r->rules_category))
		return !strcmp(r->decided_by ? r->decided_by : "", "model") ? "model overrode the rules" :
		       "rules and model disagree";
	if (r->model_prob < 0.5)
		return "the model is unsure";
	if (r->model_novelty > 0.3)
		return "new wording";
	return "";
}

static int review_one(void *ctx, const store_review_row *r)
{
	review_run *rr = ctx;
	sbuf ex = SBUF_INIT;

	review_excerpt(&ex, r->subject, r->text);
	if (rr->json) {
		sbuf s = SBUF_INIT;
		sbuf_addf(&s, "{\"id\":%lld,\"score\":%.3f,\"category\":", (long long)r->id, r->score);
		sbuf_add_json_str(&s, r->category);
		sbuf_adds(&s, ",\"decided_by\":");
		sbuf_add_json_str(&s, r->decided_by);
		sbuf_adds(&s, ",\"rules_category\":");
		sbuf_add_json_str(&s, r->rules_category);
		sbuf_adds(&s, ",\"model_category\":");
		sbuf_add_json_str(&s, r->model_category);
		sbuf_addf(&s, ",\"model_probability\":%.3f,\"novelty\":%.3f,\"why\":", r->model_prob, r->model_novelty);
		sbuf_add_json_str(&s, review_why(r));
		sbuf_adds(&s, ",\"excerpt\":");
		sbuf_add_json_str(&s, ex.buf);
		sbuf_addch(&s, '}');
		puts(s.buf);
		sbuf_release(&s);
	} else {
		printf("%-7lld %5.2f  %-20s %-20s %-20s %4.2f %4.0f%%  %s\n", (long long)r->id, r->score, r->category,
		       r->rules_category ? r->rules_category : "-", r->model_category ? r->model_category : "-",
		       r->model_prob, 100 * r->model_novelty, review_why(r));
		printf("        %s\n", ex.buf);
	}
	rr->n++;
	sbuf_release(&ex);
	return 0;
}

int cmd_review(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	review_run rr;
	store *st;
	char *commit;
	int c, limit = 20, rc = EXIT_DONE;

	memset(&rr, 0, sizeof rr);
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			limit = atoi(optarg);
			if (limit < 1) {
				log_error("review: --limit: expected a positive number, found '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				log_error("review: unknown format '%s' (expected text or json)", optarg);
				return EXIT_USAGE;
			}
			rr.json = !strcmp(optarg, "json");
			break;
		default: cli_usage(stderr, "review"); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("review: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return EXIT_USAGE;
	if (!(commit = store_current_commit(st))) {
		printf("nothing classified yet (run 'avvik classify')\n");
		store_close(st);
		return EXIT_DONE;
	}
	if (!rr.json)
		printf("%-7s %5s  %-20s %-20s %-20s %4s %5s  %s\n", "id", "score", "category", "rules said", "model said",
		       "p", "new", "why");
	if (store_review_each(st, commit, limit, review_one, &rr)) {
		log_error("review: database read failed: %s", store_errmsg(st));
		rc = EXIT_FATAL;
	} else if (!rr.json && !rr.n) {
		printf("nothing to review: no classification under rules %.12s was made with a model, or every one "
		       "has an override ('avvik model train', then 'avvik classify --all')\n", commit);
	} else if (!rr.json) {
		printf("\ncorrect one with: avvik override ID --category C --reason TEXT; the next 'avvik model train' "
		       "learns from it\n");
	}
	free(commit);
	store_close(st);
	return rc;
}
