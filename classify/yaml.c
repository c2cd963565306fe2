/*
 * yaml.c - reads a YAML document with libyaml's event parser into a small
 * tree that keeps each node's line and column, so every loader error can
 * name file:line:col.
 */
#include "classify/classify_int.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Deep nesting has no use in a rule file and would only risk the stack of
 * the recursive walkers. */
#define CY_MAX_DEPTH 64

const char *classify_yaml_kind(const cy_node *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case CY_SCALAR: return "a scalar";
	case CY_SEQ: return "a list";
	case CY_MAP: return "a mapping";
	}
	return "?";
}

void classify_yaml_free(cy_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		classify_yaml_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static cy_node *cy_new(cy_kind kind, const yaml_mark_t *m)
{
	cy_node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

/* Grows geometrically: a list of a million items must not cost a
 * million reallocations (quadratic copying where realloc cannot extend). */
static void cy_append(cy_node *parent, cy_node *kid)
{
	if (parent->n == parent->alloc) {
		parent->alloc = parent->alloc ? 2 * parent->alloc : 4;
		parent->kids = xrealloc(parent->kids, parent->alloc * sizeof *parent->kids);
	}
	parent->kids[parent->n++] = kid;
}

/* A duplicate key would silently shadow the first; reject it where the
 * second one is written. */
static int cy_check_dup_key(const char *file, const cy_node *map, const cy_node *key, sbuf *err)
{
	size_t i;

	if (key->kind != CY_SCALAR) {
		sbuf_addf(err, "%s:%d:%d: expected a plain key, found %s", file, key->line,
			  key->col, classify_yaml_kind(key));
		return -1;
	}
	for (i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->str, key->str)) {
			sbuf_addf(err, "%s:%d:%d: duplicate key '%s' (first at line %d)", file,
				  key->line, key->col, key->str, map->kids[i]->line);
			return -1;
		}
	return 0;
}

int classify_yaml_parse(const char *file, const char *data, size_t len, cy_node **root, sbuf *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	cy_node *stack[CY_MAX_DEPTH + 1];
	int depth = 0, rc = 0, done = 0, docs = 0;
	cy_node *top = NULL;

	*root = NULL;
	if (!yaml_parser_initialize(&parser)) {
		sbuf_addf(err, "%s:1:1: cannot initialise the YAML parser", file);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done) {
		cy_node *n = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			if (err->len)   /* after the errors of the files before */
				sbuf_addch(err, '\n');
			sbuf_addf(err, "%s:%d:%d: YAML syntax error: %s", file,
				  (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
				  parser.problem ? parser.problem : "unknown problem");
			if (parser.context)
				sbuf_addf(err, " (%s at line %d)", parser.context,
					  (int)parser.context_mark.line + 1);
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				sbuf_addf(err, "%s:%d:%d: expected one YAML document, found a second",
					  file, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1);
				rc = -1;
				done = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			sbuf_addf(err, "%s:%d:%d: YAML aliases (*name) are not supported; write the value out",
				  file, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1);
			rc = -1;
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
			n = cy_new(CY_SCALAR, &ev.start_mark);
			n->str = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
			n = cy_new(CY_SEQ, &ev.start_mark);
			break;
		case YAML_MAPPING_START_EVENT:
			n = cy_new(CY_MAP, &ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (n) {
			if ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) ||
			    (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.anchor) ||
			    (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor)) {
				sbuf_addf(err, "%s:%d:%d: YAML anchors (&name) are not supported", file,
					  n->line, n->col);
				classify_yaml_free(n);
				rc = -1;
				done = 1;
			} else if (depth == 0) {
				top = n;
			} else {
				cy_node *parent = stack[depth - 1];
				/* a key is at an even position of its mapping */
				if (parent->kind == CY_MAP && parent->n % 2 == 0 &&
				    cy_check_dup_key(file, parent, n, err)) {
					classify_yaml_free(n);
					rc = -1;
					done = 1;
				} else {
					cy_append(parent, n);
				}
			}
			if (!rc && n->kind != CY_SCALAR) {
				if (depth >= CY_MAX_DEPTH) {
					sbuf_addf(err, "%s:%d:%d: nesting deeper than %d levels", file,
						  n->line, n->col, CY_MAX_DEPTH);
					rc = -1;
					done = 1;
				} else {
					stack[depth++] = n;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc) {
		classify_yaml_free(top);
		return -1;
	}
	*root = top;
	return 0;
}
