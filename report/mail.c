/*
 * mail.c - a report as an e-mail, built with GMime:
 *
 *   multipart/mixed
 *     multipart/related
 *       multipart/alternative: text/plain, text/html
 *       image/png, one per chart (the HTML's inline SVG, drawn by librsvg,
 *                                 referenced as cid: - mail readers do not
 *                                 show inline SVG)
 *     the spreadsheet, attached
 *
 * The message is only built here; ingest/smtp.c sends it.
 */
#include "report/report.h"

#include <cairo.h>
#include <gmime/gmime.h>
#include <librsvg/rsvg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t mail_once = PTHREAD_ONCE_INIT;

static void mail_shutdown(void)
{
	g_mime_shutdown();   /* counted: the ingest side's init stays valid */
}

static void mail_start(void)
{
	g_mime_init();
	atexit(mail_shutdown);
}

static cairo_status_t png_write(void *ctx, const unsigned char *data, unsigned int len)
{
	sbuf_add(ctx, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* One SVG chart as a PNG at twice its size (sharp on high-density
 * screens).  0 ok; -1 with err. */
static int mail_svg_png(const char *svg, size_t len, sbuf *png, double *width, sbuf *err)
{
	GError *gerr = NULL;
	RsvgHandle *h = rsvg_handle_new_from_data((const guint8 *)svg, (gsize)len, &gerr);
	gdouble w = 0, hgt = 0;
	cairo_surface_t *surf;
	cairo_t *cr;
	RsvgRectangle vp;
	int rc = -1;

	if (!h) {
		sbuf_addf(err, "chart: %s", gerr ? gerr->message : "not SVG");
		g_clear_error(&gerr);
		return -1;
	}
	if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &hgt) || w < 1 || hgt < 1) {
		w = 720;
		hgt = 320;
	}
	surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)(2 * w), (int)(2 * hgt));
	cr = cairo_create(surf);
	vp.x = 0;
	vp.y = 0;
	vp.width = 2 * w;
	vp.height = 2 * hgt;
	if (!rsvg_handle_render_document(h, cr, &vp, &gerr)) {
		sbuf_addf(err, "chart: %s", gerr ? gerr->message : "cannot draw");
		g_clear_error(&gerr);
	} else if (cairo_surface_write_to_png_stream(surf, png_write, png) != CAIRO_STATUS_SUCCESS) {
		sbuf_adds(err, "chart: cannot write PNG");
	} else {
		*width = w;
		rc = 0;
	}
	cairo_destroy(cr);
	cairo_surface_destroy(surf);
	g_object_unref(h);
	return rc;
}

static GMimePart *mail_part(const char *type, const char *subtype, const void *data, size_t len,
			    GMimeContentEncoding enc)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *mem = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, dw);
	g_mime_part_set_content_encoding(part, enc);
	g_object_unref(dw);
	g_object_unref(mem);
	return part;
}

static void mail_set_utf8(GMimePart *part)
{
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
}

int report_mail_build(const report_mail *m, sbuf *out, char **message_id, sbuf *err)
{
	GMimeMessage *msg;
	GMimeMultipart *mixed, *related, *alt;
	GMimePart *part;
	GMimeStream *mem;
	GByteArray *bytes;
	GDateTime *now;
	sbuf html = SBUF_INIT, png = SBUF_INIT, cid = SBUF_INIT, mid = SBUF_INIT;
	const char *p, *start;
	int n_chart = 0, rc = -1;

	pthread_once(&mail_once, mail_start);
	*message_id = NULL;
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, m->from_name, m->from);
	for (size_t i = 0; i < m->n_to; i++) {
		InternetAddressList *l = internet_address_list_parse(NULL, m->to[i]);
		if (!l || !internet_address_list_length(l)) {
			sbuf_addf(err, "recipient '%s' is not an e-mail address", m->to[i]);
			if (l)
				g_object_unref(l);
			goto out;
		}
		internet_address_list_append(g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO), l);
		g_object_unref(l);
	}
	g_mime_message_set_subject(msg, m->subject, "utf-8");
	now = g_date_time_new_now_local();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	{
		char *id = g_mime_utils_generate_message_id(m->domain ? m->domain : "avvik.invalid");
		g_mime_message_set_message_id(msg, id);
		*message_id = xstrdup(id);
		g_free(id);
	}
	/* no auto-replies to a machine's mail (RFC 3834) */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);

	mixed = g_mime_multipart_new_with_subtype("mixed");
	related = g_mime_multipart_new_with_subtype("related");
	alt = g_mime_multipart_new_with_subtype("alternative");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(related), "type", "multipart/alternative");

	part = mail_part("text", "plain", m->text, strlen(m->text), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	mail_set_utf8(part);
	g_mime_multipart_add(alt, GMIME_OBJECT(part));
	g_object_unref(part);

	/* the HTML with every <svg>…</svg> replaced by a cid: image */
	for (p = m->html; (start = strstr(p, "<svg")) != NULL;) {
		const char *end = strstr(start, "</svg>"), *t0, *t1;
		double w = 720;

		if (!end)
			break;
		end += strlen("</svg>");
		sbuf_add(&html, p, (size_t)(start - p));
		sbuf_reset(&png);
		if (mail_svg_png(start, (size_t)(end - start), &png, &w, err))
			goto fail;
		n_chart++;
		sbuf_reset(&cid);
		sbuf_addf(&cid, "chart%d.%s", n_chart, *message_id + (**message_id == '<'));
		if (cid.len && cid.buf[cid.len - 1] == '>')
			sbuf_setlen(&cid, cid.len - 1);
		sbuf_addf(&html, "<img src=\"cid:%s\" width=\"%d\" style=\"max-width:100%%;height:auto\" alt=\"",
			  cid.buf, (int)w);
		/* the chart's <title>, already escaped by svg.c */
		t0 = strstr(start, "<title");
		t0 = t0 && t0 < end ? strchr(t0, '>') : NULL;
		t1 = t0 ? strstr(t0, "</title>") : NULL;
		if (t0 && t1 && t1 < end)
			sbuf_add(&html, t0 + 1, (size_t)(t1 - t0 - 1));
		sbuf_adds(&html, "\">");
		part = mail_part("image", "png", png.buf, png.len, GMIME_CONTENT_ENCODING_BASE64);
		g_mime_object_set_content_id(GMIME_OBJECT(part), cid.buf);
		g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_INLINE);
		sbuf_reset(&mid);
		sbuf_addf(&mid, "chart%d.png", n_chart);
		g_mime_part_set_filename(part, mid.buf);
		/* added after the HTML below: keep them in order */
		g_mime_multipart_add(related, GMIME_OBJECT(part));
		g_object_unref(part);
		p = end;
	}
	sbuf_adds(&html, p);
	part = mail_part("text", "html", html.buf, html.len, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	mail_set_utf8(part);
	g_mime_multipart_add(alt, GMIME_OBJECT(part));
	g_object_unref(part);
	/* the alternative first: the root of multipart/related */
	g_mime_multipart_insert(related, 0, GMIME_OBJECT(alt));
	g_mime_multipart_add(mixed, GMIME_OBJECT(related));

	if (m->attachment && m->attachment_len) {
		const char *slash = strchr(m->attachment_type, '/');
		sbuf ty = SBUF_INIT;

		sbuf_add(&ty, m->attachment_type, slash ? (size_t)(slash - m->attachment_type) : strlen(m->attachment_type));
		part = mail_part(ty.buf, slash ? slash + 1 : "octet-stream", m->attachment, m->attachment_len,
				 GMIME_CONTENT_ENCODING_BASE64);
		g_mime_part_set_filename(part, m->attachment_name);
		g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
		g_mime_multipart_add(mixed, GMIME_OBJECT(part));
		g_object_unref(part);
		sbuf_release(&ty);
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));

	/* SMTP wants CRLF line ends; libcurl sends the bytes as they are */
	{
		GMimeFormatOptions *fo = g_mime_format_options_new();

		g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
		mem = g_mime_stream_mem_new();
		g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem);
		g_mime_format_options_free(fo);
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	sbuf_add(out, bytes->data, bytes->len);
	g_object_unref(mem);
	rc = 0;
fail:
	g_object_unref(alt);
	g_object_unref(related);
	g_object_unref(mixed);
out:
	g_object_unref(msg);
	if (rc) {
		free(*message_id);
		*message_id = NULL;
	}
	sbuf_release(&html);
	sbuf_release(&png);
	sbuf_release(&cid);
	sbuf_release(&mid);
	return rc;
}
