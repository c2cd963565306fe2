/*
 * fuzz_rules.c - libFuzzer target for the rule-set loader (YAML tree,
 * categories.yaml, orgs.yaml, rule files, pattern forms, literal
 * extraction) and, when a set loads, for matching, examples, ties and
 * explain.  The input is split at NUL bytes (which YAML cannot hold
 * anyway): categories.yaml, orgs.yaml, one rule file, then the text of a
 * second record; a missing part is a missing file.  The literal
 * prefilter must never change a result: each record is classified with
 * and without it and the two must agree.
 * Build and run: `make fuzz`, then seed from the shipped rules/, e.g.
 *   mkdir -p /tmp/fuzz-rules-seed /tmp/fuzz-rules-corpus && for f in rules/rules/[a-z]*.yaml; do
 *     { cat rules/categories.yaml; printf '\0'; cat rules/orgs.yaml; printf '\0'; cat $f;
 *       printf '\0Epikrisen kom ikke til fastlegen.'; } > /tmp/fuzz-rules-seed/$(basename $f); done
 *   build-fuzz/fuzz_rules -max_total_time=300 -timeout=5 /tmp/fuzz-rules-corpus /tmp/fuzz-rules-seed
 * (the scratch corpus first, so nothing is written into the repository).
 */
#include "classify/classify_int.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS 4     /* categories, orgs, a rule file, a record's text */

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* a limit hit is logged once per pattern: keep the output quiet */
	log_set_level(LOG_LVL_ERROR);
	devnull = fopen("/dev/null", "w");
	return 0;
}

/* One fixed record that touches every field a condition can look at. */
static void fuzz_record(avvik_record *r)
{
	r->ext_id = xstrdup("dips:4711");
	r->source = xstrdup("unn-avvik");
	r->channel = xstrdup("avvik-xml");
	r->subject = xstrdup("Epikrise ikke mottatt");
	r->text = xstrdup("Epikrisen kom ikke til fastlegen. Pasienten ble utskrevet uten legemiddelliste; "
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! Hjemmesykepleien i Tromsø ringte UNN.");
	r->source_category = xstrdup("Epikrise/utskrivning");
	r->reporter.name = xstrdup("Tromsø kommune");
	r->reporter.unit = xstrdup("Hjemmesykepleien sone 2");
	r->reporter.her_id = xstrdup("12345");
	r->concerned.name = xstrdup("UNN HF");
	r->concerned.unit = xstrdup("Medisinsk avdeling, Narvik");
	r->concerned.org_nr = xstrdup("983974899");
}

/* Classifies r with and without the prefilter: the same category, tags
 * and matches, or the prefilter dropped a match. */
static void fuzz_classify(const classify_rules *rules, const avvik_record *r)
{
	avvik_class c[2];
	int k;

	for (k = 0; k < 2; k++) {
		avvik_class_init(&c[k]);
		classify_set_prefilter(k == 0);
		classify_record(rules, r, &c[k]);
		/* one primary category, always a known code */
		if (!c[k].category || !classify_category_label(rules, c[k].category))
			__builtin_trap();
	}
	classify_set_prefilter(1);
	if (strcmp(c[0].category, c[1].category) || strcmp(c[0].tags, c[1].tags) ||
	    strcmp(c[0].matches, c[1].matches)) {
		fprintf(stderr, "prefilter changed the result:\n  %s %s\n  %s %s\n", c[0].category, c[0].matches,
			c[1].category, c[1].matches);
		__builtin_trap();
	}
	for (k = 0; k < 2; k++)
		avvik_class_clear(&c[k]);
	classify_explain(rules, r, devnull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[MAX_PARTS - 1] = { "categories.yaml", "orgs.yaml", "rules/a.yaml" };
	const char *part[MAX_PARTS];
	size_t len[MAX_PARTS], n = 0;
	const char *p = (const char *)data, *end = p + size;
	classify_rules *rules = NULL;
	sbuf err = SBUF_INIT;

	while (n < MAX_PARTS) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		part[n] = p;
		len[n++] = nul ? (size_t)(nul - p) : (size_t)(end - p);
		if (!nul)
			break;
		p = nul + 1;
	}
	if (classify_rules_load_mem(&rules, names, part, len, n < MAX_PARTS ? n : MAX_PARTS - 1, &err)) {
		/* every failure says where: file:line:col */
		if (rules || !err.len || !strstr(err.buf, ".yaml:"))
			__builtin_trap();
	} else {
		avvik_record r;
		int total;

		if (!rules || !utf8_valid(classify_rules_commit(rules), strlen(classify_rules_commit(rules))))
			__builtin_trap();
		avvik_record_init(&r);
		fuzz_record(&r);
		fuzz_classify(rules, &r);
		if (n == MAX_PARTS) {
			/* the fuzzer's own text, so literals meet what they must find */
			free(r.text);
			free(r.subject);
			r.text = xstrndup(part[n - 1], len[n - 1]);
			r.subject = xstrndup(part[n - 1], len[n - 1] < 40 ? len[n - 1] : 40);
			fuzz_classify(rules, &r);
		}
		avvik_record_clear(&r);
		(void)classify_rules_test(rules, NULL, &total);
		sbuf_reset(&err);
		(void)classify_rules_ties(rules, &err);
		classify_rules_list(rules, devnull, 1);
		classify_rules_free(rules);
	}
	sbuf_release(&err);
	return 0;
}
