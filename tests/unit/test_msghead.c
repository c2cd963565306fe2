/*
 * test_msghead.c - KITH MsgHead + Dialogmelding 1.0/1.1 to deviation records
 * (ingest/msghead.c), detection, hostile inputs and walking a tree.
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
#include <sys/stat.h>

#include "ingest/ingest_int.h"
#include "test_util.h"

static const unsigned char test_key[] = "msghead-test-key";

/* The sink keeps at most 64 items and checks every item that is not a
 * deviation has a reason and no record. */
static ingest_ctx make_ctx(collector *c)
{
	c->max = 64;
	c->strict = 1;
	return collector_ctx(c, test_key, sizeof test_key - 1, "test");
}

/* Does needle occur in any string of r? */
static int record_contains(const avvik_record *r, const char *needle)
{
	return record_matches(r, contains, needle, 1);
}

/* Every string valid UTF-8, the hash right, the patient's identity absent. */
static void check_record_common(const ingest_ctx *x, const got_item *g, const char *path)
{
	const avvik_record *r = &g->rec;
	static const char *const pii[] = {
		"15720255178", "13116900216", "55128212352", "01921234518", "12720234503",
		"Testesen", "Prøvesen", "Eksempelsen", NULL
	};
	avvik_record copy;
	sbuf file = SBUF_INIT;
	char sha[65];
	size_t i;

	(void)x;
	assert_int_equal(g->kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(r->channel, "msghead");
	assert_string_equal(r->source, "test");
	assert_string_equal(r->origin, path);
	for (i = 0; pii[i]; i++)
		if (record_contains(r, pii[i]))
			fail_msg("record from %s contains '%s'", path, pii[i]);
	/* content hash as ingest_record_hash computes it */
	copy = *r;
	memset(copy.content_hash, 0, sizeof copy.content_hash);
	ingest_record_hash(&copy);
	assert_string_equal(copy.content_hash, r->content_hash);
	/* raw is the whole file */
	assert_int_equal(sbuf_read_file(&file, path, 0), 0);
	assert_int_equal(g->raw_len, file.len);
	assert_memory_equal(g->raw, file.buf, file.len);
	ingest_sha256_hex(file.buf, file.len, sha);
	assert_string_equal(g->raw_sha256, sha);
	assert_true(!r->text || utf8_valid(r->text, strlen(r->text)));
	assert_true(!r->subject || utf8_valid(r->subject, strlen(r->subject)));
	sbuf_release(&file);
}

static void run_file(const ingest_ctx *x, const char *path, ingest_format f)
{
	ingest_file_ok(x, path, f, path);
}

/* ---- the fixtures ---- */

static void test_dialog10_fastlege(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog10-notat-fastlege.xml");
	char *pat = pseudo(&x, "15720255178"), *other = pseudo(&x, "13116900216");
	sbuf want = SBUF_INIT;
	const avvik_record *r;

	(void)state;
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	r = &c.items[0].rec;
	check_record_common(&x, &c.items[0], path);
	assert_string_equal(r->ext_id, "6f1c2a9e-0d3b-4c55-9a1e-1f00c0ffee01");
	assert_string_equal(r->reported_at, "2024-03-05T10:22:33");
	assert_string_equal(r->event_date, "2024-03-04");
	assert_null(r->received_at);
	assert_string_equal(r->reporter.name, "Storsteinnes legekontor");
	assert_null(r->reporter.unit);
	assert_string_equal(r->reporter.her_id, "8090001");
	assert_string_equal(r->reporter.org_nr, "999990010");
	assert_string_equal(r->reporter.type_hint, "fastlege");
	assert_string_equal(r->concerned.name, "Universitetssykehuset Nord-Norge HF");
	assert_string_equal(r->concerned.unit, "Medisinsk klinikk");
	assert_string_equal(r->concerned.her_id, "8090100");
	assert_string_equal(r->concerned.org_nr, "983974899");
	assert_null(r->concerned.type_hint);
	assert_string_equal(r->subject, "Epikrise mangler etter utskrivning");
	assert_int_equal(r->patient_related, 1);
	assert_string_equal(r->patient_key, pat);
	/* plain 1.0 text: line breaks kept, runs of spaces squeezed, the
	 * patient's name and every fødselsnummer out, other numbers kept */
	sbuf_addf(&want,
		  "Pasienten [pasientnavn] [pasientnavn] ble utskrevet fra UNN Tromsø 28.02.2024.\n"
		  "Fastlegen har ikke mottatt epikrise, og hjemmesykepleien fikk ingen oppdatert legemiddelliste.\n"
		  "\n"
		  "Gjelder også ektefelle, fnr [pasient:%s], som ble utskrevet samme dag.\n"
		  "Kontakt legekontoret på tlf 77 72 00 00 eller 77720000. Org.nr. 999990010.\n"
		  "Saksnummer 2024-0311-12345678901234 i [pasientnavn] sitt journalsystem.", other);
	assert_string_equal(r->text, want.buf);
	assert_int_equal(r->n_attachments, 0);
	sbuf_release(&want);
	free(pat);
	free(other);
	collector_free(&c);
}

/* The Patient's names in other cases, reversed ("TESTESEN, KARI"), in the
 * genitive, in a unit, the subject and an attachment name; its number
 * written "157202 55178" and in the text in other spellings. */
static void test_patient_names(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog10-patient-names.xml");
	char *pat = pseudo(&x, "15720255178");
	sbuf want = SBUF_INIT, data = SBUF_INIT;
	const avvik_record *r;

	(void)state;
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	r = &c.items[0].rec;
	assert_int_equal(r->patient_related, 1);
	assert_string_equal(r->patient_key, pat);
	assert_string_equal(r->subject, "Feil dose til [pasientnavn]");
	sbuf_addf(&want,
		  "[pasientnavn], [pasientnavn] fikk feil dose. [pasientnavn] datter ringte, og "
		  "[pasientnavn] mor.\n"
		  "[pasientnavn] [pasientnavn] er mellomnavn og etternavn; [pasientnavn] bror og "
		  "[pasientnavn] hund.\n"
		  "Kariert skjorte, Testesenveien 3 og Karin er ikke pasienten.\n"
		  "Fnr skrevet [pasient:%s] og [pasient:%s].", pat, pat);
	assert_string_equal(r->text, want.buf);
	assert_string_equal(r->reporter.unit, "Hjemmesykepleien, rute for [pasientnavn] [pasientnavn]");
	assert_int_equal(r->n_attachments, 1);
	sbuf_reset(&want);
	sbuf_addf(&want, "Kurve [pasientnavn] [pasientnavn] [pasient:%s].pdf", pat);
	assert_string_equal(r->attachments[0].name, want.buf);
	collector_free(&c);

	/* a file named after the patient: the record's origin is scrubbed */
	assert_int_equal(sbuf_read_file(&data, path, 0), 0);
	assert_int_equal(ingest_buffer(&x, "inn/Kari Testesen 15720255178.xml", data.buf, data.len,
				       INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 1);
	sbuf_reset(&want);
	sbuf_addf(&want, "inn/[pasientnavn] [pasientnavn] [pasient:%s].xml", pat);
	assert_string_equal(c.items[0].rec.origin, want.buf);
	collector_free(&c);

	/* and so is the reason when the message is quarantined */
	{
		char *at = strstr(data.buf, "<MsgId>");
		char *end = at ? strstr(at, "</MsgId>") : NULL;
		assert_non_null(end);
		memset(at, ' ', (size_t)(end + 8 - at));
	}
	assert_int_equal(ingest_buffer(&x, "KARI-testesen-15720255178.xml", data.buf, data.len,
				       INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	assert_non_null(strstr(c.items[0].reason, "MsgId"));
	assert_false(has_ci(c.items[0].reason, "kari"));
	assert_false(has_ci(c.items[0].reason, "testesen"));
	assert_null(strstr(c.items[0].reason, "15720255178"));
	collector_free(&c);
	sbuf_release(&data);
	sbuf_release(&want);
	free(pat);
}

static void test_dialog11_xhtml(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog11-xhtml.xml");
	char *pat = pseudo(&x, "55128212352"), *infix = pseudo(&x, "15070255127");
	sbuf want = SBUF_INIT;
	const avvik_record *r;

	(void)state;
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	r = &c.items[0].rec;
	check_record_common(&x, &c.items[0], path);
	assert_string_equal(r->ext_id, "0b8e6d1c-5a43-4f0e-8c7d-2a1b3c4d5e02");
	assert_string_equal(r->reported_at, "2023-11-20T14:05:00");
	assert_string_equal(r->event_date, "2023-11-17");
	assert_string_equal(r->reporter.name, "Målselv kommune");
	assert_string_equal(r->reporter.unit, "Hjemmesykepleien Bardufoss");
	assert_string_equal(r->reporter.her_id, "8090200");
	assert_null(r->reporter.org_nr);
	assert_null(r->reporter.type_hint);
	assert_string_equal(r->concerned.name, "Universitetssykehuset Nord-Norge HF");
	assert_null(r->concerned.unit);
	assert_null(r->concerned.her_id);
	assert_string_equal(r->concerned.org_nr, "983974899");
	assert_string_equal(r->subject, "Legemiddelliste manglet ved utskrivning");
	assert_string_equal(r->patient_key, pat);
	/* XHTML: blocks (p, li, br, tr) are lines, inline elements their text */
	sbuf_addf(&want,
		  "Pasienten kom hjem fra UNN Harstad fredag kveld uten legemiddelliste.\n"
		  "Følgende mangler:\n"
		  "oppdatert legemiddelliste\n"
		  "plan for sårstell\n"
		  "Pasientens fnr [pasient:%s] sto i følgeskrivet.\n"
		  "Mvh sykepleier på natt, tlf 915 55 555\n"
		  "Meldt 20.11.2023", infix);
	assert_string_equal(r->text, want.buf);
	assert_false(record_contains(r, "150702-55127"));
	assert_false(record_contains(r, "Åse"));
	sbuf_release(&want);
	free(pat);
	free(infix);
	collector_free(&c);
}

static void test_dialog11_fk1_subunits(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog11-fk1-subunits.xml");
	char *pat = pseudo(&x, "01921234518");
	const avvik_record *r;

	(void)state;
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	r = &c.items[0].rec;
	check_record_common(&x, &c.items[0], path);
	assert_string_equal(r->ext_id, "c3a1f0de-7b2e-4d8a-b3c6-9e8f7a6b5c03");
	assert_string_equal(r->reported_at, "2024-06-11T08:15:00");
	assert_string_equal(r->reporter.name, "Universitetssykehuset Nord-Norge HF");
	assert_string_equal(r->reporter.unit,
			    "Kirurgi-, kreft- og kvinnehelseklinikken, Gastrokirurgisk sengepost");
	assert_string_equal(r->reporter.her_id, "8090100");
	assert_string_equal(r->reporter.org_nr, "983974899");
	assert_null(r->reporter.type_hint);
	assert_string_equal(r->concerned.name, "Tromsø kommune");
	assert_string_equal(r->concerned.unit, "Helse og omsorg, Tildelingskontoret");
	assert_string_equal(r->concerned.her_id, "8090300");
	assert_string_equal(r->concerned.org_nr, "999990029");   /* spaces dropped */
	/* no Tema: the subject is the Sakstype */
	assert_string_equal(r->subject, "Utskrivningsklar pasient ikke mottatt");
	assert_string_equal(r->event_date, "2024-06-10");
	assert_string_equal(r->text,
			    "Kommunen har ikke svart på varsel om utskrivningsklar pasient sendt "
			    "07.06.2024 kl 09:30.\nPasienten ble liggende to døgn ekstra på sengeposten.");
	assert_string_equal(r->patient_key, pat);
	/* the fk1 idents of the contact person are no party's */
	assert_false(record_contains(r, "9144900"));
	assert_false(record_contains(r, "8090399"));
	assert_false(record_contains(r, "Pleiersen"));
	free(pat);
	collector_free(&c);
}

static void test_dialog11_attachments(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog11-attachment.xml");
	const avvik_record *r;

	(void)state;
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	r = &c.items[0].rec;
	check_record_common(&x, &c.items[0], path);
	assert_string_equal(r->reporter.name, "Harstad legesenter");
	assert_string_equal(r->reporter.unit, "Fastlege Hansen");
	assert_string_equal(r->reporter.type_hint, "fastlege");   /* HCP in the sub-unit */
	assert_string_equal(r->concerned.unit, "Ortopedisk poliklinikk Harstad");
	assert_string_equal(r->subject, "Henvisning returnert uten begrunnelse");
	assert_int_equal(r->n_attachments, 2);
	assert_string_equal(r->attachments[0].name, "Kopi av henvisning.pdf");
	assert_string_equal(r->attachments[0].mime_type, "application/pdf");
	assert_int_equal(r->attachments[0].size, 176);
	assert_string_equal(r->attachments[1].name, "skjermbilde.png");   /* from RefDoc/Id */
	assert_string_equal(r->attachments[1].mime_type, "image/png");
	assert_int_equal(r->attachments[1].size, 17);
	/* the content is not kept anywhere in the record */
	assert_false(record_contains(r, "JVBERi0"));
	collector_free(&c);
}

static void test_dialog11_foresporsel(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog11-foresporsel.xml");
	const avvik_record *r;

	(void)state;
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	r = &c.items[0].rec;
	check_record_common(&x, &c.items[0], path);
	assert_string_equal(r->subject, "Rutine for overføring av pasientopplysninger");
	assert_string_equal(r->text, "Vi ber om en avklaring av hvilken rutine som gjelder når "
				     "pasientopplysninger ikke følger pasienten.");
	assert_int_equal(r->patient_related, 0);
	assert_null(r->patient_key);
	assert_null(r->event_date);
	assert_string_equal(r->reporter.unit, "Narvikgården helse- og omsorgssenter");
	collector_free(&c);
}

static void test_wrapped(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/wrapped/fellesformat-dialog10.xml");
	sbuf data = SBUF_INIT;
	const avvik_record *r;

	(void)state;
	assert_int_equal(sbuf_read_file(&data, path, 0), 0);
	assert_int_equal(ingest_detect(data.buf, data.len), INGEST_FORMAT_MSGHEAD);
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	r = &c.items[0].rec;
	check_record_common(&x, &c.items[0], path);
	assert_string_equal(r->ext_id, "11112222-3333-4444-8555-666677778808");
	assert_string_equal(r->reporter.name, "Lyngen kommune");
	assert_string_equal(r->reporter.unit, "Lyngen sykehjem");
	assert_string_equal(r->subject, "Pasient sendt hjem uten tilsyn av kommunen");
	sbuf_release(&data);
	collector_free(&c);
}

static void expect_one(const char *rel, ingest_format f, ingest_item_kind kind, const char *reason_part,
		       long line)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture(rel);
	sbuf want = SBUF_INIT;

	run_file(&x, path, f);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, kind);
	if (!strstr(c.items[0].reason, reason_part))
		fail_msg("reason '%s' lacks '%s'", c.items[0].reason, reason_part);
	/* reasons start with the path (and the line when known) */
	if (line > 0)
		sbuf_addf(&want, "%s:%ld: ", path, line);
	else
		sbuf_addf(&want, "%s: ", path);
	if (strncmp(c.items[0].reason, want.buf, want.len))
		fail_msg("reason '%s' does not start with '%s'", c.items[0].reason, want.buf);
	assert_int_equal(c.items[0].line, line);
	sbuf_release(&want);
	collector_free(&c);
}

static void test_skipped(void **state)
{
	(void)state;
	expect_one("msghead/apprec.xml", INGEST_FORMAT_AUTO, INGEST_ITEM_SKIPPED,
		   "AppRec (application receipt) is not a deviation report", 0);
	expect_one("msghead/epikrise.xml", INGEST_FORMAT_AUTO, INGEST_ITEM_SKIPPED,
		   "MsgHead of type EPIKRISE is not a deviation report", 0);
	expect_one("msghead/epikrise.xml", INGEST_FORMAT_MSGHEAD, INGEST_ITEM_SKIPPED,
		   "MsgHead of type EPIKRISE is not a deviation report", 0);
}

static void test_quarantined(void **state)
{
	(void)state;
	expect_one("bad/msghead-missing-msgid.xml", INGEST_FORMAT_AUTO, INGEST_ITEM_QUARANTINE,
		   "MsgHead: missing MsgInfo/MsgId", 4);
	expect_one("bad/truncated-msghead.xml", INGEST_FORMAT_AUTO, INGEST_ITEM_QUARANTINE,
		   "not well-formed XML: premature end of data", 37);
	expect_one("bad/empty.xml", INGEST_FORMAT_AUTO, INGEST_ITEM_QUARANTINE, "empty file", 0);
	expect_one("bad/empty.xml", INGEST_FORMAT_MSGHEAD, INGEST_ITEM_QUARANTINE, "empty file", 0);
	expect_one("bad/binary-junk.bin", INGEST_FORMAT_AUTO, INGEST_ITEM_QUARANTINE, "not XML", 0);
	expect_one("bad/binary-junk.bin", INGEST_FORMAT_MSGHEAD, INGEST_ITEM_QUARANTINE, "not XML", 0);
	expect_one("bad/not-kith.xml", INGEST_FORMAT_AUTO, INGEST_ITEM_QUARANTINE,
		   "not a KITH message or avvik export (root element feed in namespace "
		   "http://www.w3.org/2005/Atom)", 0);
	expect_one("bad/not-kith.xml", INGEST_FORMAT_MSGHEAD, INGEST_ITEM_QUARANTINE,
		   "no KITH MsgHead found (root element feed", 0);
	expect_one("bad/latin1-declared-utf8.xml", INGEST_FORMAT_MSGHEAD, INGEST_ITEM_QUARANTINE,
		   "not well-formed XML: Input is not proper UTF-8", 8);
}

/* First line of /etc/passwd, to look for (the file may be absent). */
static void passwd_marker(char *out, size_t n)
{
	FILE *f = fopen("/etc/passwd", "r");

	snprintf(out, n, "root:x:0:0");
	if (f) {
		if (fgets(out, (int)n, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static void test_hostile(void **state)
{
	static const char *const files[] = {
		"bad/billion-laughs.xml", "bad/xxe-passwd.xml", "bad/xxe-parameter-entity.xml",
		"bad/external-dtd.xml", NULL
	};
	static const ingest_format fmts[] = {
		INGEST_FORMAT_AUTO, INGEST_FORMAT_MSGHEAD, INGEST_FORMAT_AVVIK_XML
	};
	char marker[256];
	size_t i, j;

	(void)state;
	passwd_marker(marker, sizeof marker);
	for (i = 0; files[i]; i++)
		for (j = 0; j < 3; j++) {
			collector c = { .n = 0 };
			ingest_ctx x = make_ctx(&c);
			const char *path = fixture(files[i]);

			run_file(&x, path, fmts[j]);
			assert_int_equal(c.n, 1);
			assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
			if (!strstr(c.items[0].reason, "DTDs are not accepted"))
				fail_msg("%s as %s: reason '%s'", files[i], ingest_format_name(fmts[j]),
					 c.items[0].reason);
			assert_null(strstr(c.items[0].reason, marker));
			assert_null(strstr(c.items[0].reason, "lollol"));
			assert_true(c.items[0].raw_len < 2048);    /* the file, nothing expanded */
			collector_free(&c);
		}
}

static void test_latin1_message(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog11-foresporsel.xml");
	sbuf in = SBUF_INIT, conv = SBUF_INIT;
	const char *p;
	const avvik_record *r;

	(void)state;
	/* the same message in ISO-8859-1, as the declaration says */
	assert_int_equal(sbuf_read_file(&in, path, 0), 0);
	for (p = in.buf; p < in.buf + in.len;) {
		const char *start = p;
		uint32_t cp = utf8_next(&p, in.buf + in.len);
		if (cp < 0x100 && p - start > 1)
			sbuf_addch(&conv, (int)cp);
		else
			sbuf_add(&conv, start, (size_t)(p - start));
	}
	p = strstr(conv.buf, "UTF-8");
	assert_non_null(p);
	{
		sbuf fixed = SBUF_INIT;
		sbuf_add(&fixed, conv.buf, (size_t)(p - conv.buf));
		sbuf_adds(&fixed, "ISO-8859-1");
		sbuf_adds(&fixed, p + 5);
		assert_int_equal(ingest_buffer(&x, "latin1.xml", fixed.buf, fixed.len,
					       INGEST_FORMAT_AUTO), 0);
		sbuf_release(&fixed);
	}
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	r = &c.items[0].rec;
	assert_string_equal(r->subject, "Rutine for overføring av pasientopplysninger");
	assert_string_equal(r->reporter.unit, "Narvikgården helse- og omsorgssenter");
	sbuf_release(&in);
	sbuf_release(&conv);
	collector_free(&c);
}

static void test_detect(void **state)
{
	static const struct { const char *rel; ingest_format want; } cases[] = {
		{ "msghead/dialog10-notat-fastlege.xml", INGEST_FORMAT_MSGHEAD },
		{ "msghead/dialog11-fk1-subunits.xml", INGEST_FORMAT_MSGHEAD },
		{ "msghead/apprec.xml", INGEST_FORMAT_MSGHEAD },
		{ "msghead/wrapped/fellesformat-dialog10.xml", INGEST_FORMAT_MSGHEAD },
		{ "avvik-xml/docmap-unn.xml", INGEST_FORMAT_AVVIK_XML },
		{ "bad/avvik-malformed-halfway.xml", INGEST_FORMAT_AVVIK_XML },
		{ "bad/not-kith.xml", INGEST_FORMAT_AUTO },
		{ "bad/empty.xml", INGEST_FORMAT_AUTO },
		{ "bad/binary-junk.bin", INGEST_FORMAT_AUTO },
		{ "bad/billion-laughs.xml", INGEST_FORMAT_AUTO },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sbuf d = SBUF_INIT;
		assert_int_equal(sbuf_read_file(&d, fixture(cases[i].rel), 0), 0);
		if (ingest_detect(d.buf, d.len) != cases[i].want)
			fail_msg("%s detected as %s", cases[i].rel,
				 ingest_format_name(ingest_detect(d.buf, d.len)));
		sbuf_release(&d);
	}
	assert_int_equal(ingest_detect("", 0), INGEST_FORMAT_AUTO);
	{
		static const char prolog[] = "\xEF\xBB\xBF<?xml version='1.0'?>\n<!-- c --><?pi x?>"
					     "<a:MsgHead xmlns:a='" INGEST_NS_MSGHEAD "'/>";
		assert_int_equal(ingest_detect(prolog, sizeof prolog - 1), INGEST_FORMAT_MSGHEAD);
	}
}

static void test_buffer_and_limits(void **state)
{
	collector c = { .n = 0 };
	ingest_ctx x = make_ctx(&c);
	const char *path = fixture("msghead/dialog11-xhtml.xml");
	sbuf d = SBUF_INIT;
	char hash[65];

	(void)state;
	assert_int_equal(sbuf_read_file(&d, path, 0), 0);
	/* the same bytes from memory give the same record */
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(ingest_buffer(&x, "mem", d.buf, d.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.items[0].rec.content_hash, c.items[1].rec.content_hash);
	assert_string_equal(c.items[1].rec.origin, "mem");
	memcpy(hash, c.items[0].raw_sha256, 65);
	collector_free(&c);
	/* larger than max_file_size: quarantined, never parsed */
	x.max_file_size = 1000;
	run_file(&x, path, INGEST_FORMAT_AUTO);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	assert_non_null(strstr(c.items[0].reason, "too large"));
	assert_string_equal(c.items[0].raw_sha256, hash);
	collector_free(&c);
	/* the sink's non-zero value stops and is returned */
	x.max_file_size = 0;
	c.stop_with = 7;
	assert_int_equal(ingest_file(&x, path, INGEST_FORMAT_AUTO), 7);
	collector_free(&c);
	/* a file that cannot be read */
	errno = 0;
	assert_int_equal(ingest_file(&x, fixture("no/such/file.xml"), INGEST_FORMAT_AUTO), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ingest_file(&x, fixture("msghead"), INGEST_FORMAT_AUTO), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(c.n, 0);
	sbuf_release(&d);
}

static void test_formats(void **state)
{
	ingest_format f;

	(void)state;
	assert_string_equal(ingest_format_name(INGEST_FORMAT_AUTO), "auto");
	assert_string_equal(ingest_format_name(INGEST_FORMAT_MSGHEAD), "msghead");
	assert_string_equal(ingest_format_name(INGEST_FORMAT_AVVIK_XML), "avvik-xml");
	assert_int_equal(ingest_format_parse("avvik-xml", &f), 0);
	assert_int_equal(f, INGEST_FORMAT_AVVIK_XML);
	assert_int_equal(ingest_format_parse("msghead", &f), 0);
	assert_int_equal(f, INGEST_FORMAT_MSGHEAD);
	assert_int_equal(ingest_format_parse("nope", &f), -1);
}

/* ---- walking ---- */

typedef struct {
	char names[32][256];
	size_t n;
	const char *root;
} walk_log;

static int walk_fn(void *ctx, const char *file)
{
	walk_log *w = ctx;
	size_t rl = strlen(w->root);

	assert_true(w->n < 32);
	assert_int_equal(strncmp(file, w->root, rl), 0);
	snprintf(w->names[w->n++], 256, "%s", file + rl);
	return 0;
}

static void touch(const char *dir, const char *rel)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("<x/>", f);
	fclose(f);
}

static void test_walk(void **state)
{
	char tmpl[] = "/tmp/avvik-walk-XXXXXX", outside[] = "/tmp/avvik-out-XXXXXX";
	char *dir = mkdtemp(tmpl), *out = mkdtemp(outside);
	char p[4096], q[4096];
	walk_log w;
	static const char *const want[] = {
		"/a.xml", "/b/c.xml", "/b/d/e.xml", "/link-in.xml", "/z.xml",
	};
	size_t i;

	(void)state;
	assert_non_null(dir);
	assert_non_null(out);
	snprintf(p, sizeof p, "%s/b", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/b/d", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/.hidden", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	touch(dir, "z.xml");
	touch(dir, "a.xml");
	touch(dir, "b/c.xml");
	touch(dir, "b/d/e.xml");
	touch(dir, ".dotfile.xml");
	touch(dir, ".hidden/h.xml");
	touch(out, "secret.xml");
	snprintf(p, sizeof p, "%s/link-in.xml", dir);
	snprintf(q, sizeof q, "%s/a.xml", dir);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof p, "%s/link-out.xml", dir);
	snprintf(q, sizeof q, "%s/secret.xml", out);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof p, "%s/link-dir", dir);
	assert_int_equal(symlink(out, p), 0);
	snprintf(p, sizeof p, "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);

	memset(&w, 0, sizeof w);
	w.root = dir;
	assert_int_equal(ingest_walk(dir, walk_fn, &w), 0);
	assert_int_equal(w.n, sizeof want / sizeof want[0]);
	for (i = 0; i < w.n; i++)
		assert_string_equal(w.names[i], want[i]);
	/* a file is walked as itself */
	memset(&w, 0, sizeof w);
	w.root = dir;
	snprintf(p, sizeof p, "%s/z.xml", dir);
	assert_int_equal(ingest_walk(p, walk_fn, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.names[0], "/z.xml");
	snprintf(p, sizeof p, "%s/none", dir);
	assert_int_equal(ingest_walk(p, walk_fn, &w), -1);

	snprintf(p, sizeof p, "rm -rf '%s' '%s'", dir, out);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dialog10_fastlege),
		cmocka_unit_test(test_patient_names),
		cmocka_unit_test(test_dialog11_xhtml),
		cmocka_unit_test(test_dialog11_fk1_subunits),
		cmocka_unit_test(test_dialog11_attachments),
		cmocka_unit_test(test_dialog11_foresporsel),
		cmocka_unit_test(test_wrapped),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_quarantined),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_latin1_message),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_buffer_and_limits),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_walk),
	};

	return cmocka_run_group_tests_name("msghead", tests, NULL, NULL);
}
