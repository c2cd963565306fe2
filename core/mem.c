/* mem.c - allocation that cannot return NULL: out of memory ends the run. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static void AVVIK_NORETURN mem_die(size_t n)
{
	fprintf(stderr, "avvik: fatal: out of memory allocating %zu bytes\n", n);
	exit(EXIT_FATAL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		mem_die(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		mem_die(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		mem_die(n);
	return q;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p;
	size_t len = 0;

	if (!s)
		return NULL;
	while (len < n && s[len])
		len++;
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
