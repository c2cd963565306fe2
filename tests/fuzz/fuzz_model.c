/*
 * fuzz_model.c - libFuzzer target for the two parsers of the statistical
 * model (classify/model.c): the labelled TSV reader and the reader of a
 * serialised model.  The first byte chooses: even, the rest is a TSV;
 * odd, the rest is a model, and when it loads a fixed record is predicted
 * with it (the weights must be read in bounds, the probabilities in
 * [0, 1]).
 * Build and run: `make fuzz`, then seed it with a model and a TSV, e.g.
 *   mkdir -p /tmp/fuzz-model-seed /tmp/fuzz-model-corpus
 *   { printf '\0'; cat rules/training/faktura.tsv; } >/tmp/fuzz-model-seed/tsv
 *   { printf '\1'; sqlite3 DB "select writefile('/dev/stdout', body) from model limit 1"; } >/tmp/fuzz-model-seed/model
 *   build-fuzz/fuzz_model -max_total_time=300 /tmp/fuzz-model-corpus /tmp/fuzz-model-seed
 */
#include "classify/classify.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sbuf err = SBUF_INIT;

	if (!size)
		return 0;
	if (data[0] % 2 == 0) {
		classify_trainset *t = classify_trainset_new();
		size_t i;

		if (classify_trainset_read(t, "fuzz.tsv", (const char *)data + 1, size - 1, &err) == 0)
			for (i = 0; i < classify_trainset_count(t); i++)
				if (!classify_trainset_category(t, i) || !classify_trainset_record(t, i)->text)
					__builtin_trap();
		classify_trainset_free(t);
	} else {
		classify_model *m = NULL;

		if (classify_model_load(&m, data + 1, size - 1, &err) == 0) {
			avvik_record r;
			classify_prediction p;

			avvik_record_init(&r);
			r.subject = xstrdup("Epikrise");
			r.text = xstrdup("Epikrisen kom ikke, og pasienten ble sendt hjem kl 23 uten varsel.");
			classify_model_predict(m, &r, ORG_TYPE_KOMMUNE, ORG_TYPE_UNN, &p);
			if (p.prob < 0 || p.prob > 1 || p.dir_prob < 0 || p.dir_prob > 1 || p.novelty < 0 || p.novelty > 1)
				__builtin_trap();
			avvik_record_clear(&r);
			classify_model_free(m);
		}
	}
	sbuf_release(&err);
	return 0;
}
