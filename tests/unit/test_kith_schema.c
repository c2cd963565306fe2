/*
 * test_kith_schema.c - every committed KITH fixture is valid against the
 * published schemas (tests/schemas/kith/all.xsd, copied with their provenance),
 * and the avvik export fixtures against schema/avvik-export.xsd.  A missing
 * schema fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "ingest/ingest_int.h"

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

/* Schema errors end up in the test's output, one line each. */
static void schema_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (e && e->message)
		print_message("# %s:%d: %s", e->file ? e->file : "?", e->line, e->message);
}

static xmlSchemaPtr load_schema(const char *path)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
	xmlSchemaPtr s;

	assert_non_null(pc);
	xmlSchemaSetParserStructuredErrors(pc, schema_error, NULL);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return s;
}

/* 0 when path is valid against schema. */
static int validate(xmlSchemaPtr schema, const char *path)
{
	xmlSchemaValidCtxtPtr vc;
	xmlDocPtr doc;
	int rc;

	/* the same safe options as ingest: no network, no entities */
	doc = xmlReadFile(path, NULL, ingest_xml_options());
	if (!doc)
		return -1;
	vc = xmlSchemaNewValidCtxt(schema);
	assert_non_null(vc);
	xmlSchemaSetValidStructuredErrors(vc, schema_error, NULL);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.xml files directly in dir (not in sub-directories such as
 * wrapped/), sorted; NULL-terminated, caller frees. */
static char **xml_files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t len;

	*n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".xml"))
			continue;
		v = xrealloc(v, (*n + 2) * sizeof *v);
		v[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (v) {
		qsort(v, *n, sizeof *v, cmp_str);
		v[*n] = NULL;
	}
	return v;
}

static void test_kith_fixtures_valid(void **state)
{
	char xsd[4096], dir[4096], path[8192];
	xmlSchemaPtr schema;
	char **files;
	size_t n, i;
	int bad = 0;

	(void)state;
	/* the published schemas travel with the tests (tests/schemas/kith):
	 * a missing schema is a failure, never a silent pass */
	snprintf(xsd, sizeof xsd, "%s/tests/schemas/kith/all.xsd", env_or("AVVIK_SRC", "."));
	if (access(xsd, R_OK) != 0)
		fail_msg("%s: the KITH schemas are missing", xsd);
	schema = load_schema(xsd);
	assert_non_null(schema);
	snprintf(dir, sizeof dir, "%s/fixtures/msghead", env_or("AVVIK_SRC", "."));
	files = xml_files(dir, &n);
	/* the Dialogmelding 1.0 and 1.1 fixtures, an AppRec and an EPIKRISE */
	assert_true(n >= 6);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		/* a wrapper is no KITH message (they live in wrapped/, or say so) */
		if (!strstr(files[i], "wrapped") && validate(schema, path) != 0) {
			print_message("# %s is not valid against %s\n", path, xsd);
			bad++;
		}
		free(files[i]);
	}
	free(files);
	xmlSchemaFree(schema);
	assert_int_equal(bad, 0);
}

static void test_avvik_export_fixtures(void **state)
{
	char xsd[4096], dir[4096], path[8192];
	xmlSchemaPtr schema;
	char **files;
	size_t n, i;
	int bad = 0, invalid_seen = 0;

	(void)state;
	snprintf(xsd, sizeof xsd, "%s/schema/avvik-export.xsd", env_or("AVVIK_SRC", "."));
	schema = load_schema(xsd);
	assert_non_null(schema);
	snprintf(dir, sizeof dir, "%s/fixtures/avvik-xml", env_or("AVVIK_SRC", "."));
	files = xml_files(dir, &n);
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		/* the fixture with a bad record must fail, the others pass */
		int expect_invalid = strstr(files[i], "bad-record") != NULL;
		int rc;

		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if (expect_invalid)
			print_message("# %s: expected to be invalid:\n", files[i]);
		rc = validate(schema, path);
		if (expect_invalid) {
			invalid_seen++;
			if (rc == 0)
				bad++;
		} else if (rc != 0) {
			print_message("# %s is not valid against %s\n", path, xsd);
			bad++;
		}
		free(files[i]);
	}
	free(files);
	xmlSchemaFree(schema);
	assert_int_equal(invalid_seen, 1);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kith_fixtures_valid),
		cmocka_unit_test(test_avvik_export_fixtures),
	};

	xmlInitParser();
	return cmocka_run_group_tests_name("kith_schema", tests, NULL, NULL);
}
