/*
 * test_email.c - e-mail to deviation records (ingest/email.c): charsets and
 * transfer encodings checked byte for byte for æøå, RFC 2047, HTML-only
 * bodies, multipart/alternative, the form parser and its variants, XML
 * attachments, mbox splitting and ">From " quoting, broken MIME; the
 * received date from an mbox "From " line or the file's time; detection by
 * the header block; NFC; the bound on MIME parts.
 * Fixtures come from $AVVIK_SRC/fixtures/email (default ./fixtures/email).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "ingest/ingest_int.h"
#include "test_util.h"

static const unsigned char test_key[] = "email-test-key";

/* æøå ÆØÅ in UTF-8, written as bytes so the test does not depend on how
 * this file is saved */
#define AE "\xC3\xA6"
#define OE "\xC3\xB8"
#define AA "\xC3\xA5"

/* A fresh collector c (at most 16 items) and ctx with it as the sink. */
static void ctx_init(ingest_ctx *ctx, collector *c)
{
	memset(c, 0, sizeof *c);
	c->max = 16;
	*ctx = collector_ctx(c, test_key, sizeof test_key - 1, "test");
}

static void email_fixture(sbuf *path, const char *name)
{
	sbuf_reset(path);
	sbuf_addf(path, "%s/fixtures/email/%s", src_dir(), name);
}

/* Parses one fixture file; returns how many items came. */
static size_t parse(const char *name, collector *c)
{
	ingest_ctx ctx;
	sbuf p = SBUF_INIT;

	ctx_init(&ctx, c);
	email_fixture(&p, name);
	assert_int_equal(ingest_file(&ctx, p.buf, INGEST_FORMAT_AUTO), 0);
	sbuf_release(&p);
	return c->n;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("expected '%s' in '%s'", needle, hay ? hay : "(null)");
}

static void test_latin1_qp_form(void **state)
{
	collector c;
	avvik_record *r;

	(void)state;
	assert_int_equal(parse("latin1-qp-form.eml", &c), 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	r = &c.items[0].rec;
	assert_string_equal(r->ext_id, "20240305142000.4711@tromso.kommune.no");
	assert_string_equal(r->channel, "email");
	/* RFC 2047 Q, ISO-8859-1, folded over two encoded words */
	assert_string_equal(r->subject,
			    "Avviksmelding: epikrise mangler ved utskrivning fra Medisinsk avdeling " AE OE AA);
	assert_string_equal(r->reporter.name, "Hjemmesykepleien sone 2, Troms" OE " kommune");
	assert_string_equal(r->concerned.name, "Medisinsk avdeling, UNN Troms" OE);
	assert_string_equal(r->event_date, "2024-03-05");
	assert_string_equal(r->reported_at, "2024-03-05T14:20:00");
	/* QP-decoded Latin-1 text, the fødselsnummer scrubbed */
	assert_contains(r->text, "Hjemmesykepleien m" AA "tte ringe avdelingen for " AA " f" AA " vite");
	assert_contains(r->text, "[pasient:");
	assert_null(strstr(r->text, "15720255178"));
	collector_free(&c);
}

static void test_cp1252_undeclared(void **state)
{
	collector c;
	avvik_record *r;

	(void)state;
	assert_int_equal(parse("cp1252-undeclared.eml", &c), 1);
	r = &c.items[0].rec;
	/* no charset, 8-bit: Windows-1252, so the en dash and guillemets survive */
	assert_contains(r->text, "henvisning \xE2\x80\x93 \xC2\xABingen beskjed\xC2\xBB");
	assert_contains(r->text, "pr" OE "vesvar");
	assert_contains(r->text, "f" OE "r neste dag");
	assert_string_equal(r->reporter.name, "Legevakten i Harstad kommune");
	assert_string_equal(r->concerned.name, "UNN Harstad, Akuttmottaket");   /* "Gjelder:" */
	assert_string_equal(r->event_date, "2023-11-12");                    /* "Hendelsesdato:" */
	collector_free(&c);
}

static void test_html_only(void **state)
{
	collector c;
	avvik_record *r;

	(void)state;
	assert_int_equal(parse("html-only-base64.eml", &c), 1);
	r = &c.items[0].rec;
	/* RFC 2047 B, UTF-8 */
	assert_string_equal(r->subject, "Avvik: sen epikrise, feil dose \xE2\x80\x93 fastlege");
	assert_string_equal(r->reporter.name, "Storgata legekontor, Harstad");
	assert_string_equal(r->concerned.name, "UNN Harstad, Medisinsk poliklinikk");
	assert_string_equal(r->event_date, "2024-01-18");
	/* entities decoded, script and style dropped, <br> a line break */
	assert_contains(r->text, "Epikrise fra poliklinikken kom f" OE "rst etter tre uker.\nFastlegen");
	assert_contains(r->text, "Marevan \xE2\x80\x93 pasienten");
	assert_null(strstr(r->text, "alert"));
	assert_null(strstr(r->text, "color"));
	collector_free(&c);
}

static void test_alternative_nynorsk(void **state)
{
	collector c;
	avvik_record *r;

	(void)state;
	assert_int_equal(parse("alternative-nynorsk.eml", &c), 1);
	r = &c.items[0].rec;
	assert_string_equal(r->reporter.name, "Heimesjukepleia, Lyngen kommune");   /* Meldande eining */
	assert_string_equal(r->concerned.name, "UNN Troms" OE ", Nevrologisk avdeling"); /* Gjeld eining */
	assert_string_equal(r->event_date, "2024-04-03");                         /* "3. april 2024" */
	assert_contains(r->text, "Pasienten vart utskriven");                      /* Skildring */
	assert_null(strstr(r->text, "HTML-versjonen"));    /* text/plain preferred */
	collector_free(&c);
}

static void test_wrong_charset_and_signature(void **state)
{
	collector c;
	avvik_record *r;

	(void)state;
	assert_int_equal(parse("wrong-charset.eml", &c), 1);
	r = &c.items[0].rec;
	/* labelled ISO-8859-1 but UTF-8: the bytes win, no mojibake */
	assert_contains(r->text, "Bl" AA "b" AE "rsyltet" OE "y, " AE OE AA " \xC3\x86\xC3\x98\xC3\x85.");
	assert_null(strstr(r->text, "\xC3\x83"));
	/* no form: the sender's address, the signature's organisation */
	assert_string_equal(r->reporter.name, "sykepleier@senja.kommune.no");
	assert_string_equal(r->reporter.unit, "Senja kommune");
	assert_null(strstr(r->text, "Sykehjemmet p" AA " Finnsnes\nSenja"));   /* signature cut */
	collector_free(&c);
}

static void test_raw_8bit_header(void **state)
{
	collector c;
	avvik_record *r;

	(void)state;
	assert_int_equal(parse("raw8bit-header.eml", &c), 1);
	r = &c.items[0].rec;
	assert_string_equal(r->subject, "Pr" OE "vesvar ikke mottatt fra sykehuset i Troms" OE);
	assert_string_equal(r->reporter.name, "hjemmetjenesten@malselv.kommune.no");
	assert_string_equal(r->reporter.unit, "M" AA "lselv kommune");   /* the organisation line first */
	assert_string_equal(r->concerned.name, "UNN");     /* named in the text */
	collector_free(&c);
}

static void test_xml_attachment(void **state)
{
	collector c;

	(void)state;
	assert_int_equal(parse("msghead-attachment.eml", &c), 2);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_SKIPPED);
	assert_contains(c.items[0].reason, "carries 1 attached message");
	assert_int_equal(c.items[1].kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(c.items[1].rec.channel, "msghead");
	assert_contains(c.items[1].rec.origin, "msghead-attachment.eml[dialogmelding.xml]");
	/* linked to the mail it came in */
	assert_non_null(c.items[1].parent);
	assert_string_equal(c.items[1].parent, c.items[0].raw_sha256);
	collector_free(&c);
}

static void test_no_message_id(void **state)
{
	collector c;

	(void)state;
	assert_int_equal(parse("no-message-id.eml", &c), 1);
	assert_int_equal(strncmp(c.items[0].rec.ext_id, "email:", 6), 0);
	assert_int_equal(strlen(c.items[0].rec.ext_id), 6 + 32);
	collector_free(&c);
}

static void test_mbox(void **state)
{
	collector c;

	(void)state;
	assert_int_equal(parse("postmottak.mbox", &c), 3);
	assert_string_equal(c.items[0].rec.ext_id, "mbox-1@tromso.kommune.no");
	assert_string_equal(c.items[1].rec.ext_id, "mbox-2@karlsoy.kommune.no");
	assert_string_equal(c.items[2].rec.ext_id, "mbox-3@storgata-legekontor.no");
	/* mboxrd quoting undone: one '>' less */
	assert_contains(c.items[1].rec.text, "\n>From the ward");
	assert_contains(c.items[1].rec.text, "\n>>From here");
	assert_contains(c.items[0].rec.origin, "postmottak.mbox: message 1");
	/* the same message as an .eml is the same content */
	collector_free(&c);
}

static int walk_count(void *ctx, const char *file)
{
	(void)file;
	(*(int *)ctx)++;
	return strstr(file, "/maildir/tmp/") ? 99 : 0;
}

static void test_maildir_tmp_skipped(void **state)
{
	sbuf p = SBUF_INIT;
	int n = 0;

	(void)state;
	email_fixture(&p, "maildir");
	assert_int_equal(ingest_walk(p.buf, walk_count, &n), 0);
	assert_int_equal(n, 2);
	sbuf_release(&p);
}

static void test_broken_mime(void **state)
{
	collector c;

	(void)state;
	/* an unclosed boundary: the part that is there is read */
	assert_int_equal(parse("bad/unclosed-boundary.eml", &c), 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	assert_contains(c.items[0].rec.text, "Epikrisen kom aldri til Narvik kommune.");
	collector_free(&c);
	/* NUL bytes: out of the text, the rest intact */
	assert_int_equal(parse("bad/nul-bytes.eml", &c), 1);
	assert_contains(c.items[0].rec.text, "Tekst med NUL");
	assert_contains(c.items[0].rec.text, AE OE AA ".");
	collector_free(&c);
	/* no blank line after the header: still mail, not "not XML" */
	assert_int_equal(parse("bad/no-blank-line.eml", &c), 1);
	assert_int_not_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	collector_free(&c);
}

/* Thousands of nested multiparts: bounded depth, no crash, the record kept. */
static void test_deep_nesting(void **state)
{
	collector c;
	ingest_ctx ctx;
	sbuf m = SBUF_INIT;
	int i, depth = 3000;

	(void)state;
	ctx_init(&ctx, &c);
	sbuf_adds(&m, "From: x@narvik.kommune.no\nSubject: Dyp\nMessage-ID: <deep@x>\nMIME-Version: 1.0\n"
		      "Content-Type: multipart/mixed; boundary=\"b0\"\n\n");
	for (i = 0; i < depth; i++)
		sbuf_addf(&m, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1);
	sbuf_addf(&m, "--b%d\nContent-Type: text/plain\n\ninnerst\n", depth);
	assert_int_equal(ingest_buffer(&ctx, "deep.eml", m.buf, m.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(c.items[0].rec.subject, "Dyp");
	collector_free(&c);
	sbuf_release(&m);
}

/* A huge part: the text kept is capped, the message still stored. */
static void test_huge_part(void **state)
{
	collector c;
	ingest_ctx ctx;
	sbuf m = SBUF_INIT;
	size_t i;

	(void)state;
	ctx_init(&ctx, &c);
	sbuf_adds(&m, "From: x@narvik.kommune.no\nSubject: Stor\nMessage-ID: <huge@x>\n"
		      "Content-Type: text/plain; charset=utf-8\n\n");
	for (i = 0; i < 40000; i++)
		sbuf_adds(&m, "Epikrise mangler, linje med tekst " AE OE AA "\n");
	assert_int_equal(ingest_buffer(&ctx, "huge.eml", m.buf, m.len, INGEST_FORMAT_EML), 0);
	assert_int_equal(c.n, 1);
	assert_true(strlen(c.items[0].rec.text) < ((size_t)1 << 20) + 200);
	assert_contains(c.items[0].rec.text, "[tekst avkortet ved 1 MiB]");
	assert_true(utf8_valid(c.items[0].rec.text, strlen(c.items[0].rec.text)));
	collector_free(&c);
	/* over the message limit: quarantined with the reason */
	ctx.max_file_size = 1000;
	assert_int_equal(ingest_buffer(&ctx, "huge.eml", m.buf, m.len, INGEST_FORMAT_EML), 0);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_QUARANTINE);
	assert_contains(c.items[0].reason, "huge.eml: e-mail too large");
	collector_free(&c);
	sbuf_release(&m);
}

static void test_form_parser(void **state)
{
	ingest_form f;

	(void)state;
	ingest_form_parse("MELDENDE  ENHET :  Legevakt, Narvik kommune\n"
			  "  Gjelder enhet: UNN Narvik\n"
			  "Dato for hendelse: 5.3.2024 kl 14:20\n"
			  "Pasient: Ola Testesen, f.nr 15720255178\n"
			  "Kategori: Legemidler\n"
			  "Beskrivelse: Første linje.\nAndre linje.\n\n-- \nsignatur\n", &f);
	assert_string_equal(f.reporter, "Legevakt, Narvik kommune");
	assert_string_equal(f.concerned, "UNN Narvik");
	assert_string_equal(f.event_date, "2024-03-05");
	assert_string_equal(f.category, "Legemidler");
	assert_non_null(f.patient);
	assert_string_equal(f.text, "F" OE "rste linje.\nAndre linje.");
	assert_int_equal(f.n_fields, 6);
	ingest_form_clear(&f);

	/* Avsender/Hendelsesdato variants; a label alone on its line */
	ingest_form_parse("Avsender:\nHjemmetjenesten, Senja kommune\nHendelsesdato: 2023-12-24\n"
			  "Vanlig tekst her.\n", &f);
	assert_string_equal(f.reporter, "Hjemmetjenesten, Senja kommune");
	assert_string_equal(f.event_date, "2023-12-24");
	assert_string_equal(f.text, "Vanlig tekst her.");
	ingest_form_clear(&f);

	/* nothing form-like: the whole body is the text */
	ingest_form_parse("Hei, vi fikk ingen epikrise.\nMvh", &f);
	assert_int_equal(f.n_fields, 0);
	assert_null(f.reporter);
	assert_string_equal(f.text, "Hei, vi fikk ingen epikrise.\nMvh");
	ingest_form_clear(&f);
}

static void test_patient_line(void **state)
{
	collector c;
	ingest_ctx ctx;
	const char *m = "From: a@bardu.kommune.no\nSubject: Om Testesen\nMessage-ID: <pt@x>\n"
			"Content-Type: text/plain; charset=utf-8\n\n"
			"Meldende enhet: Bardu kommune\nPasient: Kari Testesen 15720255178\n"
			"Beskrivelse: Testesen fikk ikke medisinene sine.\n";

	(void)state;
	ctx_init(&ctx, &c);
	assert_int_equal(ingest_buffer(&ctx, "pt.eml", m, strlen(m), INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.items[0].rec.patient_related, 1);
	assert_non_null(c.items[0].rec.patient_key);
	assert_string_equal(c.items[0].rec.text, "[pasientnavn] fikk ikke medisinene sine.");
	assert_string_equal(c.items[0].rec.subject, "Om [pasientnavn]");
	collector_free(&c);
}

/* Does needle occur in any string of r, in any case? */
static int record_has_ci(const avvik_record *r, const char *needle)
{
	return record_matches(r, has_ci, needle, 1);
}

/* One message from a string; returns how many items came. */
static size_t parse_str(const char *origin, const char *m, collector *c, ingest_ctx *ctx)
{
	ctx_init(ctx, c);
	assert_int_equal(ingest_buffer(ctx, origin, m, strlen(m), INGEST_FORMAT_AUTO), 0);
	return c->n;
}

/* "Pasientens navn:" and "Personnummer:" lines; the name in capitals, in
 * the genitive and in every field; the number in a spelling with dots. */
static void test_patient_name_everywhere(void **state)
{
	collector c;
	ingest_ctx ctx;
	const char *m =
		"From: Sone Nordmann <sone@bardu.kommune.no>\n"
		"Subject: Avvik for KARI NORDMANN\n"
		"Message-ID: <pn@bardu.kommune.no>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n"
		"--b\nContent-Type: text/plain; charset=utf-8\n\n"
		"Meldende enhet: Bardu kommune\n"
		"Avdeling: Rute Nordmann\n"
		"Gjelder enhet: UNN, post for kari\n"
		"Pasientens navn: Kari Nordmann\n"
		"Personnummer: 01.01.90 12057\n"
		"Kategori: Nordmanns legemidler\n"
		"Alvorlighetsgrad: Alvorlig for Kari\n"
		"Beskrivelse: KARI NORDMANN fikk feil medisin. Nordmanns datter ringte,\n"
		"og Nordmann's mor. Nordmann\xE2\x80\x99s bror. nordmann og Kari.\n"
		"Karin Nordmannsen er ikke pasienten.\n"
		"--b\nContent-Type: application/pdf; name=\"Kari Nordmann 01019012057.pdf\"\n"
		"Content-Disposition: attachment; filename=\"Kari Nordmann 01019012057.pdf\"\n\n"
		"%PDF-1.4\n--b--\n";
	char *key;
	const avvik_record *r;

	(void)state;
	assert_int_equal(parse_str("inn/Kari Nordmann.eml", m, &c, &ctx), 1);
	key = pseudo(&ctx, "01019012057");
	r = &c.items[0].rec;
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	assert_int_equal(r->patient_related, 1);
	assert_non_null(r->patient_key);
	assert_string_equal(r->patient_key, key);
	assert_string_equal(r->subject, "Avvik for [pasientnavn] [pasientnavn]");
	assert_string_equal(r->text,
			    "[pasientnavn] [pasientnavn] fikk feil medisin. [pasientnavn] datter ringte,\n"
			    "og [pasientnavn] mor. [pasientnavn] bror. [pasientnavn] og [pasientnavn].\n"
			    "Karin Nordmannsen er ikke pasienten.");
	assert_string_equal(r->reporter.unit, "Rute [pasientnavn]");
	assert_string_equal(r->concerned.name, "UNN, post for [pasientnavn]");
	assert_string_equal(r->source_category, "[pasientnavn] legemidler");
	assert_string_equal(r->severity, "Alvorlig for [pasientnavn]");
	assert_string_equal(r->origin, "inn/[pasientnavn] [pasientnavn].eml");
	assert_int_equal(r->n_attachments, 1);
	assert_contains(r->attachments[0].name, "[pasientnavn] [pasientnavn] [pasient:");
	/* nothing of the patient is left, whatever the case */
	assert_false(record_has_ci(r, "kari "));
	assert_false(record_has_ci(r, "kari."));
	assert_false(record_has_ci(r, "nordmann "));
	assert_false(record_has_ci(r, "nordmanns "));
	assert_false(record_has_ci(r, "12057"));
	free(key);
	collector_free(&c);
}

/* Every patient label; "Navn:" only inside a form. */
static void test_patient_labels(void **state)
{
	static const char *const name_labels[] = {
		"Pasientens navn", "Navn p" AA " pasient", "Pasient navn", "Pasientnavn",
		"PASIENTENS NAVN", "Navn", "Pasient", NULL
	};
	static const char *const id_labels[] = {
		"Personnummer", "Pnr", "F" OE "dselsnummer", "F.nr", "Fnr", "Pasient", NULL
	};
	static const char *const spellings[] = {
		"01019012057", "010190-12057", "010190 12057", "01.01.90 12057", "01.01.90-12057",
		"010190 120 57", "0101 90 12057", NULL
	};
	collector c;
	ingest_ctx ctx;
	char *key;
	size_t i, j;

	(void)state;
	for (i = 0; name_labels[i]; i++) {
		sbuf m = SBUF_INIT;
		sbuf_addf(&m, "From: a@bardu.kommune.no\nSubject: Avvik\nMessage-ID: <l%zu@x>\n"
			      "Content-Type: text/plain; charset=utf-8\n\n"
			      "Meldende enhet: Bardu kommune\n%s: Kari Nordmann\n"
			      "Beskrivelse: NORDMANN falt.\n", i, name_labels[i]);
		assert_int_equal(parse_str("l.eml", m.buf, &c, &ctx), 1);
		if (c.items[0].rec.patient_related != 1 || !c.items[0].rec.text ||
		    strcmp(c.items[0].rec.text, "[pasientnavn] falt."))
			fail_msg("label '%s': text '%s'", name_labels[i],
				 c.items[0].rec.text ? c.items[0].rec.text : "(null)");
		collector_free(&c);
		sbuf_release(&m);
	}
	ctx_init(&ctx, &c);
	key = pseudo(&ctx, "01019012057");
	for (i = 0; id_labels[i]; i++)
		for (j = 0; spellings[j]; j++) {
			sbuf m = SBUF_INIT;
			sbuf_addf(&m, "From: a@bardu.kommune.no\nSubject: Avvik\nMessage-ID: <n%zu-%zu@x>\n"
				      "Content-Type: text/plain; charset=utf-8\n\n"
				      "Meldende enhet: Bardu kommune\n%s: %s\n"
				      "Beskrivelse: Falt.\n", i, j, id_labels[i], spellings[j]);
			assert_int_equal(parse_str("n.eml", m.buf, &c, &ctx), 1);
			if (c.items[0].rec.patient_related != 1 || !c.items[0].rec.patient_key ||
			    strcmp(c.items[0].rec.patient_key, key))
				fail_msg("label '%s', number '%s': no patient key", id_labels[i],
					 spellings[j]);
			assert_string_equal(c.items[0].rec.text, "Falt.");
			collector_free(&c);
			sbuf_release(&m);
		}
	free(key);

	/* "Navn:" alone is no form: the body stays as it is */
	{
		const char *m = "From: a@bardu.kommune.no\nSubject: Hei\nMessage-ID: <nf@x>\n"
				"Content-Type: text/plain; charset=utf-8\n\n"
				"Navn: Ola Hansen\nJeg ringer i morgen.\n";
		assert_int_equal(parse_str("nf.eml", m, &c, &ctx), 1);
		assert_int_equal(c.items[0].rec.patient_related, -1);
		assert_string_equal(c.items[0].rec.text, "Navn: Ola Hansen\nJeg ringer i morgen.");
		collector_free(&c);
	}
	/* a label for a number with a wrong check digit still links, never stores */
	{
		const char *m = "From: a@bardu.kommune.no\nSubject: Hei\nMessage-ID: <bad@x>\n"
				"Content-Type: text/plain; charset=utf-8\n\n"
				"Meldende enhet: Bardu kommune\nFnr: 010190 12058\nBeskrivelse: Falt.\n";
		assert_int_equal(parse_str("bad.eml", m, &c, &ctx), 1);
		key = pseudo(&ctx, "01019012058");
		assert_string_equal(c.items[0].rec.patient_key, key);
		assert_false(record_has_ci(&c.items[0].rec, "12058"));
		free(key);
		collector_free(&c);
	}
}

/* A carried MsgHead named after the patient: the origin the attachment's
 * record gets is scrubbed, with the names from the MsgHead's Patient block
 * and from the carrier's form. */
static void test_carrier_origin_scrubbed(void **state)
{
	collector c;
	ingest_ctx ctx;
	sbuf p = SBUF_INIT, m = SBUF_INIT, want = SBUF_INIT;
	char *key, *at;

	(void)state;
	email_fixture(&p, "msghead-attachment.eml");
	assert_int_equal(sbuf_read_file(&m, p.buf, 0), 0);
	/* the MsgHead's patient is Kari Testesen */
	while ((at = strstr(m.buf, "dialogmelding.xml")) != NULL) {
		sbuf t = SBUF_INIT;
		sbuf_add(&t, m.buf, (size_t)(at - m.buf));
		sbuf_adds(&t, "KARI testesen 01019012057.xml");
		sbuf_adds(&t, at + strlen("dialogmelding.xml"));
		sbuf_release(&m);
		m = t;
	}
	ctx_init(&ctx, &c);
	key = pseudo(&ctx, "01019012057");
	assert_int_equal(ingest_buffer(&ctx, "c.eml", m.buf, m.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.items[1].kind, INGEST_ITEM_DEVIATION);
	sbuf_addf(&want, "c.eml[[pasientnavn] [pasientnavn] [pasient:%s].xml]", key);
	assert_string_equal(c.items[1].rec.origin, want.buf);
	collector_free(&c);

	/* a name only the carrier's form gives */
	at = strstr(m.buf, "Vedlagt f=F8lger");
	assert_non_null(at);
	{
		sbuf t = SBUF_INIT;
		sbuf_add(&t, m.buf, (size_t)(at - m.buf));
		sbuf_adds(&t, "Pasient: Eva Olsen\n");
		sbuf_adds(&t, at);
		sbuf_release(&m);
		m = t;
	}
	while ((at = strstr(m.buf, "KARI testesen")) != NULL)
		memcpy(at, "EVA  olsen   ", 13);
	assert_int_equal(ingest_buffer(&ctx, "c.eml", m.buf, m.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 2);
	assert_false(has_ci(c.items[0].reason, "olsen"));
	assert_false(has_ci(c.items[1].rec.origin, "eva"));
	assert_false(has_ci(c.items[1].rec.origin, "olsen"));
	assert_contains(c.items[1].rec.origin, "[pasientnavn]  [pasientnavn]");
	collector_free(&c);
	free(key);
	sbuf_release(&p);
	sbuf_release(&m);
	sbuf_release(&want);
}

static void test_to_utf8(void **state)
{
	sbuf o = SBUF_INIT;

	(void)state;
	ingest_to_utf8("\xE6\xF8\xE5\xC6\xD8\xC5", 6, "iso-8859-1", &o);
	assert_string_equal(o.buf, AE OE AA "\xC3\x86\xC3\x98\xC3\x85");
	sbuf_reset(&o);
	ingest_to_utf8("\x96\x93x\x94", 4, "windows-1252", &o);
	assert_string_equal(o.buf, "\xE2\x80\x93\xE2\x80\x9Cx\xE2\x80\x9D");
	sbuf_reset(&o);
	ingest_to_utf8("\xE6\xF8\xE5", 3, "iso-8859-15", &o);   /* through iconv */
	assert_string_equal(o.buf, AE OE AA);
	sbuf_reset(&o);
	ingest_to_utf8("a\0b", 3, "utf-8", &o);                /* NUL out */
	assert_int_equal(o.len, 3);
	assert_null(memchr(o.buf, '\0', o.len));
	sbuf_release(&o);
}

static void test_detect(void **state)
{
	(void)state;
	assert_int_equal(ingest_email_detect("From x@y Mon Jan  1 00:00:00 2024\nFrom: x\n", 41),
			 INGEST_FORMAT_MBOX);
	assert_int_equal(ingest_email_detect("Subject: a\nFrom: b\n\nbody", 24), INGEST_FORMAT_EML);
	assert_int_equal(ingest_email_detect("<?xml version=\"1.0\"?><a/>", 25), INGEST_FORMAT_AUTO);
	assert_int_equal(ingest_email_detect("Note: just text\nand more\n", 25), INGEST_FORMAT_AUTO);
	assert_int_equal(ingest_format_parse("maildir", &(ingest_format){ 0 }), 0);
}

/* The file's time as email_local_time writes it. */
static void file_time(const char *path, char out[32])
{
	struct stat st;
	struct tm tm;

	assert_int_equal(stat(path, &st), 0);
	assert_non_null(localtime_r(&st.st_mtime, &tm));
	assert_true(strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm) > 0);
}

static void test_from_line_date(void **state)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "From avvik@tromso.kommune.no Tue Jan  2 10:00:00 2024", "2024-01-02T10:00:00" },
		{ "From a@b Wed Jan  3 11:30:00 +0100 2024", "2024-01-03T11:30:00" },
		{ "From - Thu Jan 04 09:15:30 2024", "2024-01-04T09:15:30" },
		{ "From MAILER-DAEMON Fri Jan  5 08:05 CET 2024", "2024-01-05T08:05:00" },
		{ "From  Sat Jan  6 23:59:59 2024", "2024-01-06T23:59:59" },          /* no sender */
		{ "From a@b Tue Jan  2 10:00:00 2024 remote from gw\r", "2024-01-02T10:00:00" },
		{ "From a@b Tue, 2 Jan 2024 10:00:00 +0100", "2024-01-02T10:00:00" },
		{ "From a@b", NULL },
		{ "From a@b yesterday", NULL },
		{ "From a@b Mon Feb 30 10:00:00 2024", NULL },
		{ "From: a@b", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sbuf d = SBUF_INIT;
		int rc = ingest_mbox_from_date(cases[i].line, strlen(cases[i].line), &d);
		if (cases[i].want && (rc != 0 || strcmp(d.buf, cases[i].want)))
			fail_msg("'%s': got %d '%s', expected '%s'", cases[i].line, rc, d.buf, cases[i].want);
		if (!cases[i].want && rc != -1)
			fail_msg("'%s': got '%s', expected no date", cases[i].line, d.buf);
		sbuf_release(&d);
	}
}

/* Mail without a Date header: dated by its "From " line, else the file. */
static void test_mbox_dates(void **state)
{
	collector c;
	sbuf p = SBUF_INIT;
	ingest_ctx ctx;
	char mtime[32];
	size_t i;

	(void)state;
	ctx_init(&ctx, &c);
	sbuf_addf(&p, "%s/fixtures/email-edges/from-line-dates.mbox", src_dir());
	file_time(p.buf, mtime);
	ingest_file_ok(&ctx, p.buf, INGEST_FORMAT_AUTO, "from-line-dates.mbox");
	assert_int_equal(c.n, 6);
	for (i = 0; i < c.n; i++)
		assert_int_equal(c.items[i].kind, INGEST_ITEM_DEVIATION);
	assert_string_equal(c.items[0].rec.received_at, "2024-01-02T10:00:00");
	assert_null(c.items[0].rec.reported_at);
	assert_string_equal(c.items[1].rec.received_at, "2024-01-03T11:30:00");
	assert_string_equal(c.items[2].rec.received_at, "2024-01-04T09:15:30");
	assert_string_equal(c.items[3].rec.received_at, "2024-01-05T08:05:00");
	/* "From avvik@lyngen.kommune.no" has no date: the file's time */
	assert_string_equal(c.items[4].rec.ext_id, "fromline-5@lyngen.kommune.no");
	assert_string_equal(c.items[4].rec.received_at, mtime);
	/* a Date header stays the reported date */
	assert_string_equal(c.items[5].rec.reported_at, "2024-01-07T22:10:00");
	assert_string_equal(c.items[5].rec.received_at, "2024-01-08T12:00:00");
	/* the text ends where the next "From " line begins */
	assert_string_equal(c.items[0].rec.text, "Epikrisen kom ikke med pasienten hjem fra UNN Troms" OE ".");
	collector_free(&c);

	/* in memory (an attachment, an HTTP body) there is no file time */
	{
		sbuf m = SBUF_INIT;
		assert_int_equal(sbuf_read_file(&m, p.buf, 0), 0);
		assert_int_equal(ingest_buffer(&ctx, "box", m.buf, m.len, INGEST_FORMAT_AUTO), 0);
		assert_int_equal(c.n, 6);
		assert_string_equal(c.items[0].rec.received_at, "2024-01-02T10:00:00");
		assert_null(c.items[4].rec.received_at);
		sbuf_release(&m);
		collector_free(&c);
	}
	sbuf_release(&p);
}

static void test_eml_no_date(void **state)
{
	collector c;
	sbuf p = SBUF_INIT, m = SBUF_INIT;
	ingest_ctx ctx;
	char mtime[32];

	(void)state;
	ctx_init(&ctx, &c);
	sbuf_addf(&p, "%s/fixtures/email-edges/no-date.eml", src_dir());
	file_time(p.buf, mtime);
	ingest_file_ok(&ctx, p.buf, INGEST_FORMAT_AUTO, "no-date.eml");
	assert_int_equal(c.n, 1);
	assert_null(c.items[0].rec.reported_at);
	assert_string_equal(c.items[0].rec.received_at, mtime);
	collector_free(&c);
	/* no file, no time: as before, undated (the pipeline quarantines it) */
	assert_int_equal(sbuf_read_file(&m, p.buf, 0), 0);
	assert_int_equal(ingest_buffer(&ctx, "no-date", m.buf, m.len, INGEST_FORMAT_AUTO), 0);
	assert_int_equal(c.n, 1);
	assert_null(c.items[0].rec.received_at);
	assert_null(c.items[0].rec.reported_at);
	collector_free(&c);
	sbuf_release(&p);
	sbuf_release(&m);
}

/* Mail that carries XML is mail; XML is XML. */
static void test_detect_structure(void **state)
{
	static const char *const mail[] = { "arc-sealed-xml.eml", "exchange-xml.eml" };
	static const char *const xml[] = {
		"<?xml version=\"1.0\"?><MsgHead xmlns=\"" INGEST_NS_MSGHEAD "\"/>",
		"\xEF\xBB\xBF<?xml version=\"1.0\"?><MsgHead xmlns=\"" INGEST_NS_MSGHEAD "\"/>",
		"\n  \t\n<!-- From: x -->\n<MsgHead xmlns=\"" INGEST_NS_MSGHEAD "\"/>",
		"<MsgHead xmlns=\"" INGEST_NS_MSGHEAD "\">\nFrom: a\nSubject: b\n\n</MsgHead>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		collector c;
		sbuf p = SBUF_INIT, d = SBUF_INIT;

		sbuf_addf(&p, "%s/fixtures/email-edges/%s", src_dir(), mail[i]);
		assert_int_equal(sbuf_read_file(&d, p.buf, 0), 0);
		if (ingest_email_detect(d.buf, d.len) != INGEST_FORMAT_EML ||
		    ingest_detect(d.buf, d.len) != INGEST_FORMAT_EML)
			fail_msg("%s: not detected as e-mail", mail[i]);
		sbuf_reset(&p);
		sbuf_addf(&p, "../email-edges/%s", mail[i]);
		assert_int_equal(parse(p.buf, &c), 1);
		assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
		assert_string_equal(c.items[0].rec.channel, "email");
		if (i == 0) {
			assert_int_equal(c.items[0].rec.n_attachments, 1);
			assert_string_equal(c.items[0].rec.attachments[0].name, "bestilling.xml");
		} else {
			assert_contains(c.items[0].rec.text, "<MsgHead> sto som tekst");
		}
		collector_free(&c);
		sbuf_release(&p);
		sbuf_release(&d);
	}
	for (i = 0; i < sizeof xml / sizeof xml[0]; i++) {
		if (ingest_email_detect(xml[i], strlen(xml[i])) != INGEST_FORMAT_AUTO)
			fail_msg("XML %zu taken for mail", i);
		if (ingest_detect(xml[i], strlen(xml[i])) != INGEST_FORMAT_MSGHEAD)
			fail_msg("XML %zu: %s", i, ingest_format_name(ingest_detect(xml[i], strlen(xml[i]))));
	}
	/* a header block needs a field mail has; a line that is no field
	 * ends it */
	assert_int_equal(ingest_email_detect("Note: x\nOther: y\n\nbody\n", 23), INGEST_FORMAT_AUTO);
	assert_int_equal(ingest_email_detect("X-A: 1\n\tmore\nX-B: 2\nSubject: s\n\nb", 32), INGEST_FORMAT_EML);
	assert_int_equal(ingest_email_detect("\tSubject: s\n\nb", 14), INGEST_FORMAT_AUTO);
}

/* NFD and NFC spellings of a name come out of ingest the same. */
static void test_nfc(void **state)
{
	static const char *const files[] = { "nfd/nfd-org.eml", "nfd/nfd-kith.xml" };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		collector c;
		ingest_ctx ctx;
		sbuf p = SBUF_INIT;

		ctx_init(&ctx, &c);
		sbuf_addf(&p, "%s/fixtures/%s", src_dir(), files[i]);
		ingest_file_ok(&ctx, p.buf, INGEST_FORMAT_AUTO, files[i]);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
		/* "M\u00e5lselv", not "Ma\u030alselv" */
		assert_string_equal(c.items[0].rec.reporter.name, "M" AA "lselv kommune");
		/* the raw message keeps the sender's bytes */
		assert_non_null(strstr(c.items[0].raw, "Ma\xCC\x8Alselv"));
		collector_free(&c);
		sbuf_release(&p);
	}
}

/* 100,000 sibling parts: parsed up to the bound, in bounded memory. */
static void test_many_parts(void **state)
{
	collector c;
	ingest_ctx ctx;
	sbuf m = SBUF_INIT;
	struct rusage before, after;
	int i;

	(void)state;
	ctx_init(&ctx, &c);
	sbuf_adds(&m, "From: x@narvik.kommune.no\nSubject: Mange\nMessage-ID: <many@x>\nMIME-Version: 1.0\n"
		      "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
		      "Epikrisen mangler.\n");
	for (i = 0; i < 100000; i++)
		sbuf_addf(&m, "--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nx%d\n", i);
	sbuf_adds(&m, "--b--\n");
	assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
	assert_int_equal(ingest_buffer(&ctx, "many.eml", m.buf, m.len, INGEST_FORMAT_EML), 0);
	assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].kind, INGEST_ITEM_DEVIATION);
	assert_contains(c.items[0].rec.text, "Epikrisen mangler.");
	assert_contains(c.items[0].rec.text, "[deler av meldingen er ikke lest");
	assert_true(c.items[0].rec.n_attachments < 1000);
	/* the raw message is all of it */
	assert_int_equal(c.items[0].raw_len, m.len);
	/* GMime built 100,000 parts (over 200 MB) before the bound; the
	 * message itself is 6 MB */
#ifndef __SANITIZE_ADDRESS__
	/* (AddressSanitizer keeps freed memory in quarantine: no measure there) */
	if ((after.ru_maxrss - before.ru_maxrss) / 1024 > 64)
		fail_msg("peak memory grew by %ld MiB", (after.ru_maxrss - before.ru_maxrss) / 1024);
#endif
	collector_free(&c);
	/* the same message in an mbox */
	{
		sbuf box = SBUF_INIT;
		sbuf_adds(&box, "From x@y Tue Jan  2 10:00:00 2024\n");
		sbuf_add(&box, m.buf, m.len);
		assert_int_equal(ingest_buffer(&ctx, "many.mbox", box.buf, box.len, INGEST_FORMAT_MBOX), 0);
		sbuf_release(&box);
	}
	assert_int_equal(c.n, 1);
	assert_true(c.items[0].rec.n_attachments < 1000);
	assert_string_equal(c.items[0].rec.received_at, "2024-01-02T10:00:00");
	collector_free(&c);
	sbuf_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: its memory check reads the process's peak */
		cmocka_unit_test(test_many_parts),
		cmocka_unit_test(test_latin1_qp_form),
		cmocka_unit_test(test_cp1252_undeclared),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_alternative_nynorsk),
		cmocka_unit_test(test_wrong_charset_and_signature),
		cmocka_unit_test(test_raw_8bit_header),
		cmocka_unit_test(test_xml_attachment),
		cmocka_unit_test(test_no_message_id),
		cmocka_unit_test(test_mbox),
		cmocka_unit_test(test_maildir_tmp_skipped),
		cmocka_unit_test(test_broken_mime),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_part),
		cmocka_unit_test(test_form_parser),
		cmocka_unit_test(test_patient_line),
		cmocka_unit_test(test_patient_name_everywhere),
		cmocka_unit_test(test_patient_labels),
		cmocka_unit_test(test_carrier_origin_scrubbed),
		cmocka_unit_test(test_to_utf8),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_from_line_date),
		cmocka_unit_test(test_mbox_dates),
		cmocka_unit_test(test_eml_no_date),
		cmocka_unit_test(test_detect_structure),
		cmocka_unit_test(test_nfc),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
