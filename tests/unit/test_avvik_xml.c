/*
 * test_avvik_xml.c - the avvik export XML (ingest/avvikxml.c): every record,
 * ext_id, dates, the pseudonym of patient-id, a bad record quarantined on
 * its own, a malformed file quarantined whole.
 * Fixtures come from $AVVIK_SRC/fixtures (default ./fixtures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "test_util.h"

static const unsigned char test_key[] = "avvik-xml-test-key";

static ingest_ctx make_ctx(collector *c)
{
	return collector_ctx(c, test_key, sizeof test_key - 1, "export");
}

/* Does needle occur in any string of r (the attachments not looked at)? */
static int record_contains(const avvik_record *r, const char *needle)
{
	return record_matches(r, contains, needle, 0);
}

static void check_item(const got_item *g)
{
	char sha[65];

	/* raw is the record's own outer XML, in the export's namespace */
	if (g->kind != INGEST_ITEM_DEVIATION)
		return;
	assert_non_null(g->raw);
	assert_int_equal(strncmp(g->raw, "<avvik ", 7), 0);
	assert_non_null(strstr(g->raw, "xmlns=\"urn:avvik:export:1\""));
	assert_non_null(strstr(g->raw, "</avvik>"));
	ingest_sha256_hex(g->raw, g->raw_len, sha);
	assert_string_equal(g->raw_sha256, sha);
	assert_string_equal(g->rec.channel, "avvik-xml");
	assert_string_equal(g->rec.source, "export");
	assert_int_equal(strlen(g->rec.content_hash), 64);
}

static void run_file(collector *c, const char *rel)
{
	ingest_ctx x = make_ctx(c);
	size_t i;

	ingest_file_ok(&x, fixture(rel), INGEST_FORMAT_AUTO, rel);
	for (i = 0; i < c->n; i++)
		check_item(&c->items[i]);
}

static void test_docmap(void **state)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);
	char *pat = pseudo(&x, "15720255178"), *other = pseudo(&x, "13116900216");
	sbuf want = SBUF_INIT;
	const avvik_record *r;
	size_t i;

	(void)state;
	run_file(&c, "avvik-xml/docmap-unn.xml");
	assert_int_equal(c.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(c.items[i].kind, INGEST_ITEM_DEVIATION);
		assert_string_equal(c.items[i].rec.origin, fixture("avvik-xml/docmap-unn.xml"));
		assert_false(record_contains(&c.items[i].rec, "15720255178"));
		assert_false(record_contains(&c.items[i].rec, "13116900216"));
	}
	r = &c.items[0].rec;
	assert_int_equal(c.items[0].line, 7);
	assert_string_equal(r->ext_id, "Docmap:2023-0142");
	assert_string_equal(r->reported_at, "2023-03-14T10:22:00");
	assert_string_equal(r->received_at, "2023-03-14T10:25:00");
	assert_string_equal(r->event_date, "2023-03-12");
	assert_string_equal(r->reporter.name, "UNN Tromsø");
	assert_string_equal(r->reporter.unit, "Medisinsk klinikk, sengepost 6");
	assert_string_equal(r->reporter.type_hint, "unn");
	assert_string_equal(r->reporter.org_nr, "983974899");
	assert_null(r->reporter.her_id);
	assert_string_equal(r->concerned.name, "Balsfjord kommune");
	assert_string_equal(r->concerned.unit, "Hjemmesykepleien");
	assert_string_equal(r->concerned.type_hint, "kommune");
	assert_string_equal(r->subject, "Manglende legemiddelliste ved innleggelse");
	assert_string_equal(r->source_category, "Legemidler");
	assert_string_equal(r->severity, "moderat");
	assert_int_equal(r->patient_related, 1);
	assert_string_equal(r->patient_key, pat);
	assert_string_equal(r->text, "Pasient innlagt fra hjemmesykepleien uten oppdatert legemiddelliste.\n"
				     "Sykepleier på sengepost 6 måtte ringe kommunen på kveldstid for å få listen.");
	assert_int_equal(r->n_attachments, 1);
	assert_string_equal(r->attachments[0].name, "skjema.pdf");
	assert_string_equal(r->attachments[0].mime_type, "application/pdf");
	assert_int_equal(r->attachments[0].size, 18211);

	r = &c.items[1].rec;
	assert_string_equal(r->ext_id, "Docmap:2023-0187");
	assert_string_equal(r->reported_at, "2023-04-02");
	assert_null(r->event_date);
	assert_string_equal(r->concerned.her_id, "8090400");
	assert_string_equal(r->concerned.type_hint, "fastlege");
	assert_null(r->patient_key);                       /* no patient-id */
	sbuf_addf(&want, "Henvisningen manglet opplysninger om allergi. Pasient (fnr [pasient:%s]) "
			 "fikk likevel riktig behandling.", other);
	assert_string_equal(r->text, want.buf);

	r = &c.items[2].rec;
	assert_string_equal(r->ext_id, "Docmap:2023-0203");
	assert_string_equal(r->reported_at, "2023-05-09T08:00:00");   /* offset dropped */
	assert_string_equal(r->concerned.name, "Gáivuotna – Kåfjord – Kaivuono");
	assert_int_equal(r->patient_related, 0);
	assert_non_null(strstr(r->text, "tlf 776 26 000."));

	r = &c.items[3].rec;
	assert_string_equal(r->ext_id, "Docmap:2023-0251");
	assert_int_equal(r->patient_related, -1);
	assert_null(r->subject);
	assert_null(r->reporter.unit);
	assert_string_equal(r->concerned.type_hint, "annen");
	assert_int_equal(r->n_attachments, 0);
	sbuf_release(&want);
	free(pat);
	free(other);
	collector_free(&c);
}

static void test_compilo(void **state)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);
	char *dnr = pseudo(&x, "55128212352");
	const avvik_record *r;

	(void)state;
	run_file(&c, "avvik-xml/compilo-tromso.xml");
	assert_int_equal(c.n, 2);
	r = &c.items[0].rec;
	assert_string_equal(r->ext_id, "Compilo:K-4711");
	assert_string_equal(r->reporter.name, "Tromsø kommune");
	assert_string_equal(r->reporter.org_nr, "999990029");
	assert_string_equal(r->concerned.unit, "Hjertemedisinsk avdeling");
	/* "551282 12352" is keyed on its digits */
	assert_string_equal(r->patient_key, dnr);
	assert_false(record_contains(r, "12352"));
	r = &c.items[1].rec;
	assert_string_equal(r->ext_id, "Compilo:K-4720");
	assert_string_equal(r->reporter.name, "Tromso kommune");
	assert_int_equal(r->n_attachments, 2);
	assert_int_equal(r->attachments[0].size, 24576);
	assert_string_equal(r->attachments[1].name, "bilde.jpg");
	assert_string_equal(r->attachments[1].mime_type, "image/jpeg");
	assert_int_equal(r->attachments[1].size, -1);
	free(dnr);
	collector_free(&c);
}

static void test_one_bad_record(void **state)
{
	collector c = { 0 };
	const char *path;
	sbuf want = SBUF_INIT;

	(void)state;
	run_file(&c, "avvik-xml/tqm-one-bad-record.xml");
	path = fixture("avvik-xml/tqm-one-bad-record.xml");
	assert_int_equal(c.n, 3);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(c.items[0].rec.ext_id, "TQM:T-100");
	assert_int_equal(c.items[1].kind, INGEST_ITEM_QUARANTINE);
	sbuf_addf(&want, "%s:19: avvik id=T-101: <reported-at> '31.02.2023' is not a date "
			 "(expected YYYY-MM-DD or ISO 8601 date-time)", path);
	assert_string_equal(c.items[1].reason, want.buf);
	assert_int_equal(c.items[1].line, 19);
	/* its raw is that record only */
	assert_non_null(strstr(c.items[1].raw, "id=\"T-101\""));
	assert_null(strstr(c.items[1].raw, "T-100"));
	assert_int_equal(c.items[2].kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(c.items[2].rec.ext_id, "TQM:T-102");
	assert_string_equal(c.items[2].rec.reporter.name, "Sørreisa kommune");
	sbuf_release(&want);
	collector_free(&c);
}

static const char missing_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<avvik-export xmlns=\"urn:avvik:export:1\" version=\"1.0\" system=\"Landax\">\n"
	"  <avvik id=\"L-1\">\n"                                       /* line 3 */
	"    <reported-at>2023-01-02</reported-at>\n"
	"    <reporter><organisation>Bardu kommune</organisation></reporter>\n"
	"    <concerned><organisation>UNN</organisation></concerned>\n"
	"  </avvik>\n"
	"  <avvik id=\"L-2\">\n"                                       /* line 8 */
	"    <reported-at>2023-01-03</reported-at>\n"
	"    <reporter><organisation>Bardu kommune</organisation></reporter>\n"
	"    <concerned><unit>Akutten</unit></concerned>\n"
	"    <description>x</description>\n"
	"  </avvik>\n"
	"  <avvik>\n"                                                  /* line 14 */
	"    <reported-at>2023-01-04</reported-at>\n"
	"  </avvik>\n"
	"  <avvik id=\"L-4\">\n"                                       /* line 17 */
	"    <reporter><organisation>Bardu kommune</organisation></reporter>\n"
	"    <concerned><organisation>UNN</organisation></concerned>\n"
	"    <description>Uten dato</description>\n"
	"  </avvik>\n"
	"  <avvik id=\"L-5\">\n"                                       /* line 22 */
	"    <reported-at>2023-01-05</reported-at>\n"
	"    <event-date>2023-13-01</event-date>\n"
	"    <reporter><organisation>Bardu kommune</organisation></reporter>\n"
	"    <concerned><organisation>UNN</organisation></concerned>\n"
	"    <description>Ugyldig hendelsesdato</description>\n"
	"  </avvik>\n"
	"  <avvik id=\"L-6\">\n"
	"    <reported-at>05.01.2023</reported-at>\n"
	"    <reporter><organisation>Bardu kommune</organisation></reporter>\n"
	"    <concerned><organisation>UNN</organisation></concerned>\n"
	"    <description/>\n"
	"  </avvik>\n"
	"</avvik-export>\n";

static void test_missing_elements(void **state)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);
	static const struct { long line; const char *reason; } want[] = {
		{ 3, "mem.xml:3: avvik id=L-1: missing <description>" },
		{ 8, "mem.xml:8: avvik id=L-2: missing <concerned>/<organisation>" },
		{ 14, "mem.xml:14: avvik: missing attribute id" },
		{ 17, "mem.xml:17: avvik id=L-4: missing <reported-at>" },
		{ 22, "mem.xml:22: avvik id=L-5: <event-date> '2023-13-01' is not a date "
		      "(expected YYYY-MM-DD or ISO 8601 date-time)" },
	};
	size_t i;

	(void)state;
	assert_int_equal(ingest_buffer(&x, "mem.xml", missing_doc, sizeof missing_doc - 1,
				       INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 6);
	for (i = 0; i < 5; i++) {
		assert_int_equal(c.items[i].kind, INGEST_ITEM_QUARANTINE);
		assert_string_equal(c.items[i].reason, want[i].reason);
		assert_int_equal(c.items[i].line, want[i].line);
	}
	/* dd.mm.yyyy is read; an empty description is allowed */
	assert_int_equal(c.items[5].kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(c.items[5].rec.ext_id, "Landax:L-6");
	assert_string_equal(c.items[5].rec.reported_at, "2023-01-05");
	assert_null(c.items[5].rec.text);
	collector_free(&c);
}

static void test_malformed_whole_file(void **state)
{
	collector c = { 0 };
	const char *path;
	sbuf file = SBUF_INIT;

	(void)state;
	run_file(&c, "bad/avvik-malformed-halfway.xml");
	path = fixture("bad/avvik-malformed-halfway.xml");
	/* exactly one item: the whole file, nothing of it as a deviation */
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	assert_non_null(strstr(c.items[0].reason, "not well-formed XML"));
	assert_int_equal(strncmp(c.items[0].reason, path, strlen(path)), 0);
	assert_true(c.items[0].line > 40);
	assert_int_equal(sbuf_read_file(&file, path, 0), 0);
	assert_int_equal(c.items[0].raw_len, file.len);
	collector_free(&c);

	/* the same from memory */
	{
		ingest_ctx x = make_ctx(&c);
		assert_int_equal(ingest_buffer(&x, "m.xml", file.buf, file.len, INGEST_FORMAT_AVVIK_XML),
				 0);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
		collector_free(&c);
		/* and cut short at any point after the first record */
		assert_int_equal(ingest_buffer(&x, "cut.xml", file.buf, file.len - 40,
					       INGEST_FORMAT_AUTO), 0);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
		collector_free(&c);
	}
	sbuf_release(&file);
}

static void expect_whole(const char *origin, const char *doc, ingest_format f, const char *reason)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);

	assert_int_equal(ingest_buffer(&x, origin, doc, strlen(doc), f), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	if (strcmp(c.items[0].reason, reason))
		fail_msg("reason '%s', expected '%s'", c.items[0].reason, reason);
	collector_free(&c);
}

static void test_wrong_root_and_header(void **state)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);

	(void)state;
	expect_whole("a.xml", "<avvik-export xmlns=\"urn:avvik:export:2\" version=\"1.0\" system=\"X\"/>",
		     INGEST_FORMAT_AVVIK_XML,
		     "a.xml: not an avvik export (root element avvik-export in namespace urn:avvik:export:2)");
	expect_whole("b.xml", "<export version=\"1.0\" system=\"X\"><avvik id=\"1\"/></export>",
		     INGEST_FORMAT_AVVIK_XML,
		     "b.xml: not an avvik export (root element export in namespace (none))");
	expect_whole("c.xml", "<avvik-export xmlns=\"urn:avvik:export:1\" version=\"1.0\">\n"
			      "<avvik id=\"1\"><reported-at>2023-01-01</reported-at>"
			      "<reporter><organisation>A</organisation></reporter>"
			      "<concerned><organisation>B</organisation></concerned>"
			      "<description>d</description></avvik></avvik-export>",
		     INGEST_FORMAT_AUTO, "c.xml:1: avvik-export: missing attribute system");
	expect_whole("d.xml", "<avvik-export xmlns=\"urn:avvik:export:1\" version=\"2.0\" system=\"S\"/>",
		     INGEST_FORMAT_AUTO,
		     "d.xml:1: avvik-export: unsupported version '2.0' (expected 1.0)");
	/* a KITH message given as an export */
	assert_int_equal(ingest_file(&x, fixture("msghead/dialog10-notat-fastlege.xml"),
				     INGEST_FORMAT_AVVIK_XML), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	assert_non_null(strstr(c.items[0].reason, "not an avvik export (root element MsgHead in "
						  "namespace http://www.kith.no/xmlstds/msghead/2006-05-24)"));
	collector_free(&c);
	/* an empty export is fine: nothing to hand on */
	{
		static const char empty[] =
			"<avvik-export xmlns='urn:avvik:export:1' version='1.0' system='S'/>";
		assert_int_equal(ingest_buffer(&x, "e.xml", empty, sizeof empty - 1,
					       INGEST_FORMAT_AUTO), 0);
	}
	assert_int_equal(c.n, 0);
}

static void test_dtd_refused(void **state)
{
	static const char doc[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE avvik-export [ <!ENTITY e SYSTEM \"file:///etc/passwd\"> ]>\n"
		"<avvik-export xmlns=\"urn:avvik:export:1\" version=\"1.0\" system=\"S\">\n"
		"<avvik id=\"1\"><reported-at>2023-01-01</reported-at>"
		"<reporter><organisation>A</organisation></reporter>"
		"<concerned><organisation>B</organisation></concerned>"
		"<description>&e;</description></avvik></avvik-export>\n";

	(void)state;
	expect_whole("x.xml", doc, INGEST_FORMAT_AVVIK_XML,
		     "x.xml:2: DTDs are not accepted (the document declares entities)");
	expect_whole("x.xml", doc, INGEST_FORMAT_AUTO,
		     "x.xml:2: DTDs are not accepted (the document declares entities)");
}

/* Many records from memory: all come through, in order. */
static void test_many_records(void **state)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);
	sbuf doc = SBUF_INIT;
	size_t i, n = 3000;

	(void)state;
	sbuf_adds(&doc, "<avvik-export xmlns=\"urn:avvik:export:1\" version=\"1.0\" system=\"Gen\">\n");
	for (i = 0; i < n; i++)
		sbuf_addf(&doc, "<avvik id=\"G-%zu\"><reported-at>2024-01-%02zu</reported-at>"
				"<reporter><organisation>Lødingen kommune</organisation></reporter>"
				"<concerned><organisation>UNN</organisation></concerned>"
				"<description>Avvik nr %zu</description></avvik>\n", i, 1 + i % 28, i);
	sbuf_adds(&doc, "</avvik-export>\n");
	assert_int_equal(ingest_buffer(&x, "gen.xml", doc.buf, doc.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, n);
	for (i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "Gen:G-%zu", i);
		assert_int_equal(c.items[i].kind, INGEST_ITEM_DEVIATION);
		assert_string_equal(c.items[i].rec.ext_id, id);
		assert_int_equal(c.items[i].line, (long)i + 2);
	}
	collector_free(&c);
	/* the sink can stop the stream */
	c.stop_after = 10;
	assert_int_equal(ingest_buffer(&x, "gen.xml", doc.buf, doc.len, INGEST_FORMAT_AUTO), 5);
	assert_int_equal(c.n, 10);
	collector_free(&c);
	sbuf_release(&doc);
}

static void test_file_equals_buffer(void **state)
{
	collector a = { 0 }, b = { 0 };
	ingest_ctx xa = make_ctx(&a), xb = make_ctx(&b);
	const char *path = fixture("avvik-xml/compilo-tromso.xml");
	sbuf d = SBUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(sbuf_read_file(&d, path, 0), 0);
	assert_int_equal(ingest_file(&xa, path, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(ingest_buffer(&xb, path, d.buf, d.len, INGEST_FORMAT_AVVIK_XML), 0);
	assert_int_equal(a.n, b.n);
	for (i = 0; i < a.n; i++) {
		assert_string_equal(a.items[i].rec.content_hash, b.items[i].rec.content_hash);
		assert_string_equal(a.items[i].raw_sha256, b.items[i].raw_sha256);
	}
	sbuf_release(&d);
	collector_free(&a);
	collector_free(&b);
}

/* A text node over libxml2's tree limit: caught by the first pass, so the
 * good record before it is not handed on either. */
static void test_huge_text_node(void **state)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);
	sbuf doc = SBUF_INIT;
	size_t i;

	(void)state;
	sbuf_adds(&doc, "<avvik-export xmlns=\"urn:avvik:export:1\" version=\"1.0\" system=\"S\">\n"
			"<avvik id=\"ok\"><reported-at>2023-01-01</reported-at>"
			"<reporter><organisation>A</organisation></reporter>"
			"<concerned><organisation>B</organisation></concerned>"
			"<description>fin</description></avvik>\n"
			"<avvik id=\"big\"><reported-at>2023-01-01</reported-at>"
			"<reporter><organisation>A</organisation></reporter>"
			"<concerned><organisation>B</organisation></concerned><description>");
	sbuf_grow(&doc, 10000100);
	for (i = 0; i < 10000010 / 10; i++)
		sbuf_add(&doc, "tekst tekst", 10);
	sbuf_adds(&doc, "</description></avvik>\n</avvik-export>\n");
	assert_int_equal(ingest_buffer(&x, "big.xml", doc.buf, doc.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	assert_non_null(strstr(c.items[0].reason, "text node is larger"));
	collector_free(&c);
	sbuf_release(&doc);
}

/* An export of n generated records; record deep (1-based, 0 none) nested
 * deeper than libxml2 allows. */
static void gen_export(sbuf *doc, size_t n, size_t deep)
{
	size_t i, d;

	sbuf_adds(doc, "<avvik-export xmlns=\"urn:avvik:export:1\" version=\"1.0\" system=\"Gen\">\n");
	for (i = 1; i <= n; i++) {
		sbuf_addf(doc, "<avvik id=\"G-%zu\"><reported-at>2024-01-%02zu</reported-at>"
			       "<reporter><organisation>Lødingen kommune</organisation></reporter>"
			       "<concerned><organisation>UNN</organisation></concerned>"
			       "<description>Avvik nr %zu", i, 1 + i % 28, i);
		for (d = 0; i == deep && d < 300; d++)
			sbuf_adds(doc, "<b>");
		for (d = 0; i == deep && d < 300; d++)
			sbuf_adds(doc, "</b>");
		sbuf_adds(doc, "</description></avvik>\n");
	}
	sbuf_adds(doc, "</avvik-export>\n");
}

static char *write_temp(const sbuf *doc)
{
	char *path = strdup("/tmp/avvik-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc->buf, doc->len), (ssize_t)doc->len);
	close(fd);
	return path;
}

/* One record nested too deep is quarantined alone; the records after it
 * are read (it used to end the file with a false "changed while read"). */
static void test_deep_record_alone(void **state)
{
	collector c = { 0 };
	ingest_ctx x = make_ctx(&c);
	ingest_file_info info;
	sbuf doc = SBUF_INIT;
	char *path;

	(void)state;
	gen_export(&doc, 5, 2);
	path = write_temp(&doc);
	assert_int_equal(ingest_file_read(&x, path, INGEST_FORMAT_AUTO, &info), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	assert_int_equal(c.items[1].kind, INGEST_ITEM_QUARANTINE);
	assert_non_null(strstr(c.items[1].reason, "nested deeper than 256"));
	assert_int_equal(c.items[1].line, 3);
	assert_int_equal(c.items[4].kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(c.items[4].rec.ext_id, "Gen:G-5");
	collector_free(&c);
	/* the same from memory */
	assert_int_equal(ingest_buffer(&x, "deep.xml", doc.buf, doc.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.items[1].kind, INGEST_ITEM_QUARANTINE);
	collector_free(&c);
	unlink(path);
	free(path);
	sbuf_release(&doc);
}

typedef struct {
	collector c;
	const char *path;
	int truncated;
} rewriter;

/* The sink of a reader whose file is truncated under it at the first
 * record (a writer rewriting it in place). */
static int rewrite_sink(void *ctx, const ingest_item *it)
{
	rewriter *w = ctx;

	if (!w->truncated++)
		assert_int_equal(truncate(w->path, 0), 0);
	return collect(&w->c, it);
}

/* A file truncated while it is read, then given the same bytes back: the
 * read fails with ESTALE (the caller drops what it got and reads the file
 * again next time), never succeeds with part of the records. */
static void test_rewritten_while_read(void **state)
{
	rewriter w = { { 0 }, NULL, 0 };
	ingest_ctx x = make_ctx(&w.c);
	ingest_file_info info;
	sbuf doc = SBUF_INIT;
	char *path;
	int rc;

	(void)state;
	gen_export(&doc, 3000, 0);
	path = write_temp(&doc);
	w.path = path;
	x.sink = rewrite_sink;
	x.sink_ctx = &w;
	errno = 0;
	rc = ingest_file_read(&x, path, INGEST_FORMAT_AUTO, &info);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, ESTALE);
	assert_true(w.c.n < 3000);
	/* the same bytes back: read whole */
	collector_free(&w.c);
	{
		char *again = write_temp(&doc);
		assert_int_equal(rename(again, path), 0);
		free(again);
	}
	w.truncated = 1;
	assert_int_equal(ingest_file_read(&x, path, INGEST_FORMAT_AUTO, &info), 0);
	assert_int_equal(w.c.n, 3000);
	collector_free(&w.c);
	unlink(path);
	free(path);
	sbuf_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docmap),
		cmocka_unit_test(test_compilo),
		cmocka_unit_test(test_one_bad_record),
		cmocka_unit_test(test_missing_elements),
		cmocka_unit_test(test_malformed_whole_file),
		cmocka_unit_test(test_wrong_root_and_header),
		cmocka_unit_test(test_dtd_refused),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_file_equals_buffer),
		cmocka_unit_test(test_huge_text_node),
		cmocka_unit_test(test_deep_record_alone),
		cmocka_unit_test(test_rewritten_while_read),
	};

	return cmocka_run_group_tests_name("avvik_xml", tests, NULL, NULL);
}
