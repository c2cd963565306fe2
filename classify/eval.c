/*
 * eval.c - precision, recall and F1 per category, and overall accuracy, of
 * a rule set against labelled truth: the overrides in the database
 * (`avvik rules eval`) or the labelled set in tests/eval/.  Categories are
 * the rule set's own, plus any the truth names that the set lacks.
 */
#include "classify/classify_int.h"

#include <stdlib.h>
#include <string.h>

struct classify_eval {
	char **codes;           /* row/column labels */
	size_t n_codes;
	long *m;                /* confusion matrix n_codes x n_codes: [truth][predicted] */
	size_t alloc;           /* m is alloc x alloc */
	long n, correct, dir_n, dir_correct;
};

static size_t classify_eval_code(classify_eval *e, const char *code)
{
	size_t i;

	for (i = 0; i < e->n_codes; i++)
		if (!strcmp(e->codes[i], code))
			return i;
	if (e->n_codes == e->alloc) {
		/* grow the square matrix, keeping the counts */
		size_t na = e->alloc ? e->alloc * 2 : 16, r, c;
		long *m = xcalloc(na * na, sizeof *m);
		for (r = 0; r < e->n_codes; r++)
			for (c = 0; c < e->n_codes; c++)
				m[r * na + c] = e->m[r * e->alloc + c];
		free(e->m);
		e->m = m;
		e->alloc = na;
		e->codes = xrealloc(e->codes, na * sizeof *e->codes);
	}
	e->codes[e->n_codes] = xstrdup(code);
	return e->n_codes++;
}

classify_eval *classify_eval_new(const classify_rules *rules)
{
	classify_eval *e = xcalloc(1, sizeof *e);
	size_t i;

	for (i = 0; rules && i < rules->n_cats; i++)
		classify_eval_code(e, rules->cats[i].code);
	return e;
}

void classify_eval_free(classify_eval *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n_codes; i++)
		free(e->codes[i]);
	free(e->codes);
	free(e->m);
	free(e);
}

void classify_eval_add(classify_eval *e, const char *truth, const char *predicted)
{
	size_t t = classify_eval_code(e, truth), p = classify_eval_code(e, predicted);

	e->m[t * e->alloc + p]++;
	e->n++;
	if (t == p)
		e->correct++;
}

void classify_eval_add_dir(classify_eval *e, direction truth, direction predicted)
{
	e->dir_n++;
	if (truth == predicted)
		e->dir_correct++;
}

long classify_eval_total(const classify_eval *e)
{
	return e->n;
}

double classify_eval_accuracy(const classify_eval *e)
{
	return e->n ? (double)e->correct / (double)e->n : 0.0;
}

int classify_eval_category(const classify_eval *e, const char *code, classify_eval_row *out)
{
	size_t i, k;

	memset(out, 0, sizeof *out);
	for (k = 0; k < e->n_codes; k++)
		if (!strcmp(e->codes[k], code))
			break;
	if (k == e->n_codes)
		return -1;
	for (i = 0; i < e->n_codes; i++) {
		out->truth += e->m[k * e->alloc + i];
		out->predicted += e->m[i * e->alloc + k];
	}
	out->tp = e->m[k * e->alloc + k];
	out->precision = out->predicted ? (double)out->tp / (double)out->predicted : 0.0;
	out->recall = out->truth ? (double)out->tp / (double)out->truth : 0.0;
	out->f1 = out->precision + out->recall > 0 ?
		2 * out->precision * out->recall / (out->precision + out->recall) : 0.0;
	return 0;
}

void classify_eval_print(const classify_eval *e, FILE *out, const char *prefix, int json)
{
	size_t i;

	if (!prefix)
		prefix = "";
	if (json) {
		fputs("{\"categories\":[", out);
		for (i = 0; i < e->n_codes; i++) {
			classify_eval_row r;
			sbuf s = SBUF_INIT;
			classify_eval_category(e, e->codes[i], &r);
			sbuf_add_json_str(&s, e->codes[i]);
			fprintf(out, "%s{\"category\":%s,\"truth\":%ld,\"predicted\":%ld,\"correct\":%ld,"
				"\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f}", i ? "," : "", s.buf, r.truth,
				r.predicted, r.tp, r.precision, r.recall, r.f1);
			sbuf_release(&s);
		}
		fprintf(out, "],\"n\":%ld,\"correct\":%ld,\"accuracy\":%.4f", e->n, e->correct,
			classify_eval_accuracy(e));
		if (e->dir_n)
			fprintf(out, ",\"direction_accuracy\":%.4f", (double)e->dir_correct / (double)e->dir_n);
		fputs("}\n", out);
		return;
	}
	fprintf(out, "%s%-22s %6s %6s %6s %9s %7s %6s\n", prefix, "category", "truth", "pred", "right",
		"precision", "recall", "F1");
	for (i = 0; i < e->n_codes; i++) {
		classify_eval_row r;
		classify_eval_category(e, e->codes[i], &r);
		if (!r.truth && !r.predicted)
			continue;
		fprintf(out, "%s%-22s %6ld %6ld %6ld %8.1f%% %6.1f%% %6.3f\n", prefix, e->codes[i], r.truth,
			r.predicted, r.tp, 100 * r.precision, 100 * r.recall, r.f1);
	}
	fprintf(out, "%saccuracy: %ld of %ld = %.1f %%\n", prefix, e->correct, e->n,
		100 * classify_eval_accuracy(e));
	if (e->dir_n)
		fprintf(out, "%sdirection accuracy: %ld of %ld = %.1f %%\n", prefix, e->dir_correct, e->dir_n,
			100.0 * (double)e->dir_correct / (double)e->dir_n);
}

double classify_eval_dir_accuracy(const classify_eval *e)
{
	return e->dir_n ? (double)e->dir_correct / (double)e->dir_n : 0.0;
}

void classify_eval_print_matrix(const classify_eval *e, FILE *out, const char *prefix)
{
	size_t r, c;

	if (!prefix)
		prefix = "";
	/* columns are the first five letters of each code, in the rows' order */
	fprintf(out, "%s%-20s", prefix, "truth \\ predicted");
	for (c = 0; c < e->n_codes; c++)
		fprintf(out, " %5.5s", e->codes[c]);
	fputc('\n', out);
	for (r = 0; r < e->n_codes; r++) {
		long row = 0;
		for (c = 0; c < e->n_codes; c++)
			row += e->m[r * e->alloc + c];
		if (!row)
			continue;
		fprintf(out, "%s%-20s", prefix, e->codes[r]);
		for (c = 0; c < e->n_codes; c++) {
			long v = e->m[r * e->alloc + c];
			if (v)
				fprintf(out, " %5ld", v);
			else
				fprintf(out, " %5s", ".");
		}
		fputc('\n', out);
	}
}
