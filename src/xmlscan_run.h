/*-------------------------------------------------------------------------
 * xmlscan_run.h
 *		The scanner's state and its leaf run, for src/xmlscan.c and for a
 *		handler that wants a copy of the run with its own callbacks
 *		compiled in (XmlScanHandler.leaf_run).
 *
 * Most of a list answer is records of leaves, which the leaf run reads
 * (xs_leaf_run_with below).  In the generic copy every leaf is an
 * indirect call through the handler, whose callback then loads its state
 * again; a handler that instantiates the run with its callbacks known at
 * compile time gets them inlined into the loop.  One body, so that every
 * copy reads the document exactly as the generic one does.
 *
 * Internal: nothing here is part of xmlscan.h's interface.
 *-------------------------------------------------------------------------
 */
#ifndef XMLSCAN_RUN_H
#define XMLSCAN_RUN_H

#include "xmlscan.h"

#include <stdint.h>
#include <string.h>

/*
 * SSE2 is part of x86-64, so the 16-byte paths need no run-time check;
 * elsewhere the same loops run on 8-byte words.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#define XS_SSE2 1
#endif

/* for the steps of the content loop, whose locals then stay in registers */
#if defined(__GNUC__)
#define XS_ALWAYS_INLINE __attribute__((always_inline))
#else
#define XS_ALWAYS_INLINE
#endif

#define XS_MAX_DEPTH	200		/* libxml2 refuses beyond 256 */
#define XS_MAX_NAME		1000	/* bytes of a qualified name */
#define XS_MAX_ATTRS	32
#define XS_MAX_BINDINGS	64
#define XS_ARENA		8192	/* namespace URIs and callback names */
#define XS_MAX_NAMES	64		/* of XmlScanHandler.names used */
#define XS_CACHE_BITS	7
#define XS_CACHE		(1 << XS_CACHE_BITS)	/* resolved element names */
#define XS_CACHE_WAYS	4		/* places an element name may have in it */
#define XS_CACHE_ARENA	4096	/* local names of the cache not in names */

typedef struct XsBinding
{
	const char *prefix;			/* in the document; NULL: default namespace */
	size_t		plen;
	const char *pcopy;			/* NUL-terminated copy of prefix */
	const char *uri;			/* NUL-terminated copy; NULL: undeclared */
} XsBinding;

typedef struct XsOpen
{
	const char *qname;			/* the start tag's name as written */
	size_t		qlen;
	const char *lname;			/* as passed to the start callback */
	const char *prefix;
	const char *uri;
	int			nbind;			/* bindings in scope before this element */
	unsigned int scope;			/* XsScan.scope before this element */
	size_t		arena;			/* arena in use before this element */
} XsOpen;

/*
 * An element name resolved before, for start tags without attributes:
 * the same qualified name under the same bindings gets the same callback
 * arguments.  Valid while XsScan.scope equals its scope.
 */
typedef struct XsCached XsCached;
struct XsCached
{
#ifdef XS_SSE2
	__m128i		key;			/* a name of under 16 bytes, zeros after it */
	__m128i		mask;			/* ones where key has the name: qlen < 16 */
	/* "</name>" and zeros, and ones where it is: qlen <= 13, else unused */
	__m128i		endkey;
	__m128i		endmask;
#endif
	unsigned int scope;			/* 0: empty */
	size_t		qlen;
	const char *qname;			/* an earlier occurrence in the document */
	XmlScanName name;			/* the callbacks' arguments */
	unsigned int next;			/* index of the plain start tag after it */
	unsigned int next2;			/* the different one after it before that */
	/* &cache[next], &cache[next2]: for the leaf run, one load each */
	const XsCached *pnext;
	const XsCached *pnext2;
};

typedef struct XsScan
{
	const char *p;				/* next byte */
	const char *end;
	const XmlScanHandler *h;
	void	   *arg;
	XmlScanLeaf leaf;			/* h->leaf, one load less per leaf */
	XmlScanLeafNamed leaf_named;	/* h->leaf_named, likewise */
	XmlScanLeafRun leaf_run;	/* h->leaf_run, or the generic one */
	XsBinding	bind[XS_MAX_BINDINGS];
	int			nbind;
	XsOpen		open[XS_MAX_DEPTH];
	int			depth;
	char		arena[XS_ARENA];
	size_t		used;
	size_t		namelen[XS_MAX_NAMES];	/* of handler->names */
	int			lastname;		/* index of the last name found */

	/*
	 * The bindings in scope, as a number: each start tag that declares a
	 * namespace makes a new one, its end tag restores the one before.  No
	 * number is used for two different sets of bindings (a document of
	 * XMLSCAN_MAX_INPUT bytes has far fewer start tags than it can count).
	 */
	unsigned int scope;
	unsigned int scopes;		/* numbers used so far */
	XsCached	cache[XS_CACHE];
	unsigned int last;			/* place of the last plain start tag */
	char		carena[XS_CACHE_ARENA];	/* never reset during a scan */
	size_t		cused;
} XsScan;

static inline bool
xs_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * memcmp for the short names compared per element, without a call: words
 * of 8 bytes, the last one overlapping the one before, or two of 4.
 */
static inline bool
xs_same(const char *a, const char *b, size_t n)
{
	if (n >= 8)
	{
		uint64_t	x,
					y;
		size_t		i;

		for (i = 0; i + 8 < n; i += 8)
		{
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4)
	{
		uint32_t	x,
					y,
					z,
					w;

		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		memcpy(&z, a + n - 4, 4);
		memcpy(&w, b + n - 4, 4);
		return x == y && z == w;
	}
	while (n > 0)
	{
		if (*a++ != *b++)
			return false;
		n--;
	}
	return true;
}

#ifdef XS_SSE2
/* 16 - n bytes from here on: the first n bytes of a vector kept */
static const char xs_ones[32] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};
#endif

#ifdef XS_SSE2
/*
 * Plain text from p, sixteen bytes at a time while none is '<', '&', ']',
 * a control character or not ASCII (below 0x20 as a signed byte), but
 * two-byte UTF-8 sequences are checked here too.  Returns the first byte
 * it did not accept, which may be fewer than 16 bytes before the end;
 * everything before it is valid text.
 */
static inline XS_ALWAYS_INLINE const char *
xs_text_run(const char *p, const char *end)
{
	while (end - p >= 16)
	{
		__m128i		v = _mm_loadu_si128((const __m128i *) p);
		unsigned int lt = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
		__m128i		stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')),
													 _mm_cmpeq_epi8(v, _mm_set1_epi8(']'))),
										_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
		unsigned int m = _mm_movemask_epi8(stop) | lt;
		unsigned int first = m & (0u - m);

		if (m == 0)
		{
			p += 16;
			continue;
		}
		if ((first & lt) == 0 && (first & _mm_movemask_epi8(v)))
		{
			/*
			 * Not ASCII first: two-byte sequences (Cyrillic, say) up to
			 * the first other stop are checked here, the rest is left to
			 * xs_char_len.  As signed bytes the continuation bytes
			 * 0x80-0xBF are -128..-65, the lead bytes 0xC2-0xDF -62..-33.
			 */
			unsigned int hi = _mm_movemask_epi8(v);
			unsigned int hard = m & ~hi;
			unsigned int region = hard != 0 ? (hard & (0u - hard)) - 1 : 0xFFFF;
			unsigned int cont = _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-64))) & region;
			unsigned int lead = _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-63)),
																_mm_cmplt_epi8(v, _mm_set1_epi8(-32)))) & region;

			/*
			 * Each byte not ASCII a lead or continuation byte, each
			 * continuation byte right after a lead byte and each lead byte
			 * before one, but a lead byte last in the region, whose
			 * continuation is looked at in the next round.  p is at the
			 * start of a character.
			 */
			if ((hi & region) == (cont | lead) && cont == ((lead << 1) & region))
			{
				int			adv = hard != 0 ? __builtin_ctz(hard) : 16;

				if (lead & (1u << (adv - 1)))
					adv--;
				if (adv > 0)
				{
					p += adv;
					continue;
				}
			}
		}
		return p + __builtin_ctz(m);
	}
	return p;
}
#else
/* Nonzero if one of the eight bytes of v is b. */
static inline uint64_t
xs_has_byte(uint64_t v, unsigned char b)
{
	uint64_t	x = v ^ (UINT64_C(0x0101010101010101) * b);

	return (x - UINT64_C(0x0101010101010101)) & ~x & UINT64_C(0x8080808080808080);
}

/* Plain ASCII text from p eight bytes at a time: the same stops. */
static inline const char *
xs_text_run(const char *p, const char *end)
{
	while (end - p >= 8)
	{
		uint64_t	v;

		memcpy(&v, p, 8);
		if ((v & UINT64_C(0x8080808080808080)) != 0 ||
			((v - UINT64_C(0x2020202020202020)) & ~v &
			 UINT64_C(0x8080808080808080)) != 0 ||
			(xs_has_byte(v, '<') | xs_has_byte(v, '&') | xs_has_byte(v, ']')))
			break;
		p += 8;
	}
	return p;
}
#endif

/*
 * Open an element at s->depth (below XS_MAX_DEPTH, checked by the caller)
 * under the current scope.  Field by field: as one struct assignment the
 * compiler emitted "rep movs", whose start-up cost was a fifth of
 * xs_start_tag's time.
 */
static inline XS_ALWAYS_INLINE void
xs_push(XsScan *s, const char *qname, size_t qlen, const char *lname,
		const char *prefix, const char *uri, int nbind, size_t arena)
{
	XsOpen	   *o = &s->open[s->depth++];

	o->qname = qname;
	o->qlen = qlen;
	o->lname = lname;
	o->prefix = prefix;
	o->uri = uri;
	o->nbind = nbind;
	o->scope = s->scope;
	o->arena = arena;
}

/*
 * The events the leaf run makes besides leaves, as parameters of
 * xs_leaf_run_with (XsRunLeaf: see xs_leaf_events): the generic ones call
 * the handler's callbacks, with no attributes for a start.
 */
typedef bool (*XsRunLeaf) (const XsScan *s, const XmlScanName *n,
						   const char *text, size_t len);
typedef bool (*XsRunStart) (const XsScan *s, const XmlScanName *n);
typedef bool (*XsRunEnd) (const XsScan *s, const XsOpen *o);
typedef bool (*XsRunText) (const XsScan *s, const char *text, size_t len);

/* no attributes, but a valid array as before, not NULL */
static const char *xs_no_attrs[1];

static inline XS_ALWAYS_INLINE bool
xs_run_start(const XsScan *s, const XmlScanName *n)
{
	return s->h->start(s->arg, n->lname, n->prefix, n->uri, 0, xs_no_attrs);
}

static inline XS_ALWAYS_INLINE bool
xs_run_end(const XsScan *s, const XsOpen *o)
{
	return s->h->end(s->arg, o->lname, o->prefix, o->uri);
}

static inline XS_ALWAYS_INLINE bool
xs_run_text(const XsScan *s, const char *text, size_t len)
{
	return s->h->text(s->arg, text, len);
}

/*
 * Close the innermost element, its end tag read: the end event, and the
 * bindings, scope and arena as before it.
 */
static inline XS_ALWAYS_INLINE bool
xs_pop_with(XsScan *s, XsRunEnd end)
{
	const XsOpen *o = &s->open[s->depth - 1];

	if (!end(s, o))
		return false;
	s->nbind = o->nbind;
	s->scope = o->scope;
	s->used = o->arena;
	s->depth--;
	return true;
}

static inline XS_ALWAYS_INLINE bool
xs_pop(XsScan *s)
{
	return xs_pop_with(s, xs_run_end);
}

/*
 * The callbacks of a leaf element: the leaf callback, or start, text (if
 * any) and end.
 */
static inline XS_ALWAYS_INLINE bool
xs_leaf_events(const XsScan *s, const XmlScanName *n, const char *text,
			   size_t len)
{
	if (s->leaf_named != NULL)
		return s->leaf_named(s->arg, n, text, len);
	if (s->leaf != NULL)
		return s->leaf(s->arg, n->lname, n->prefix, n->uri, text, len);
	return xs_run_start(s, n) &&
		(len == 0 || xs_run_text(s, text, len)) &&
		s->h->end(s->arg, n->lname, n->prefix, n->uri);
}

#ifdef XS_SSE2
/*
 * xs_same for names of 16 bytes or more: up to 32 bytes in two 16-byte
 * steps, the second overlapping the first.
 */
static inline XS_ALWAYS_INLINE bool
xs_same_long(const char *a, const char *b, size_t n)
{
	if (n <= 32)
	{
		__m128i		x = _mm_xor_si128(_mm_loadu_si128((const __m128i *) a),
									  _mm_loadu_si128((const __m128i *) b));
		__m128i		y = _mm_xor_si128(_mm_loadu_si128((const __m128i *) (a + n - 16)),
									  _mm_loadu_si128((const __m128i *) (b + n - 16)));

		return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(x, y),
												_mm_setzero_si128())) == 0xFFFF;
	}
	return xs_same(a, b, n);
}

/*
 * Whether the start tag at p ('<') is the element name of cache entry e,
 * without attributes: the bytes after '<' are its name (as cached, so
 * checked then) and '>' or "/>" follows.  A key is a name of under 16
 * bytes and zeros, valid under the bindings of its scope; entries of other
 * names have keys of zeros, which no bytes starting with a name character
 * match, and longer names are compared with their earlier occurrence.
 */
static inline XS_ALWAYS_INLINE bool
xs_guessed(const XsScan *s, const XsCached *e, const char *p)
{
	size_t		n = e->qlen;

	return e->scope == s->scope &&
		(n < 16 ?
		 s->end - p >= 18 &&
		 _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *) (p + 1)),
														_mm_loadu_si128((const __m128i *) (xs_ones + 16 - n))),
										  e->key)) == 0xFFFF :
		 (size_t) (s->end - p) >= n + 3 && xs_same_long(p + 1, e->qname, n)) &&
		(p[1 + n] == '>' || (p[1 + n] == '/' && p[2 + n] == '>'));
}

/*
 * Inside a record, most of the document is guessed start tags (see the
 * content loop) of leaves with plain text, the records' end tags, white
 * space between them and the next record's guessed start tag: from p on,
 * as long as that is so, each is finished here with the entry at hand,
 * without going back to the content loop between them (a guess teaches
 * nothing, an entry's names are not in the arena):
 *
 * - a guessed "<name>" whose text ends at "</name>": the leaf's events;
 * - a guessed "<name>" whose content is anything else: its start event,
 *   and it is pushed, as xs_start_plain does (which it would do too: the
 *   leaf test is the same, and near the end of the document, where
 *   xs_start_plain tests byte by byte, the run stops instead);
 * - "</name>" of the innermost open element, written without white
 *   space, but the root's: its end event, and it is popped;
 * - white space up to the next '<': a text event, as xs_text makes.
 *
 * Returns where it stopped (p itself if at once), or NULL if a callback
 * stopped the scan; *guess is the entry guessed for the start tag there,
 * or XS_CACHE if it is none.
 *
 * The events go to leaf, start, end and text: the generic copy
 * (xmlscan.c) passes xs_leaf_events, xs_run_start, xs_run_end and
 * xs_run_text; a handler's own copy (XmlScanHandler.leaf_run) passes
 * functions that do what those would do with its callbacks, inlined.
 * Each copy is one call of this (inlined by the compiler, so the events
 * are direct calls); forced with always_inline, GCC 12's code for the
 * loop took ~120 instructions more per Mercury unit (callgrind).
 */
static inline const char *
xs_leaf_run_with(XsScan *s, const char *p, unsigned int *guess,
				 XsRunLeaf leaf, XsRunStart start, XsRunEnd endtag,
				 XsRunText text)
{
	const char *end = s->end;
	/* kept here, stored when the run stops */
	const XsCached *last = &s->cache[s->last];
	const XsCached *found = NULL;	/* the guess where it stopped */

	/* with fewer than 18 bytes left, the content loop's byte-by-byte tests */
	while (end - p >= 18)
	{
		const XsCached *e = last->pnext;
		size_t		n;
		const char *t;

		if (p[0] != '<')
		{
			/* white space before a tag: one text, as xs_text would pass */
			t = p;
			while (t < end && xs_is_space(*t))
				t++;
			if (t == p || t >= end || *t != '<')
				break;
			if (!text(s, p, t - p))
				return NULL;
			p = t;
			continue;
		}
		if (p[1] == '/')
		{
			/* the end tag of the innermost open element (the root: not here) */
			const XsOpen *o = &s->open[s->depth - 1];

			n = o->qlen;
			if (s->depth < 2 || (size_t) (end - p) < n + 3 || p[2 + n] != '>' ||
				!(n < 16 ? xs_same(p + 2, o->qname, n) : xs_same_long(p + 2, o->qname, n)))
				break;
			if (!xs_pop_with(s, endtag))
				return NULL;
			p += n + 3;
			continue;
		}

		/*
		 * The guesses, as xs_guessed (with the mask at hand; p has 18
		 * bytes left).  A name matched starts with a name character, so
		 * "<!" and "<?" match none.
		 */
		n = e->qlen;
		if (!(e->scope == s->scope &&
			  (n < 16 ?
			   _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *) (p + 1)),
															  e->mask),
												e->key)) == 0xFFFF :
			   (size_t) (end - p) >= n + 3 && xs_same_long(p + 1, e->qname, n)) &&
			  (p[1 + n] == '>' || (p[1 + n] == '/' && p[2 + n] == '>'))))
		{
			e = last->pnext2;
			if (!xs_guessed(s, e, p))
				break;
			n = e->qlen;
		}
		if (p[1 + n] != '>' || s->depth >= XS_MAX_DEPTH)
		{
			found = e;
			break;
		}
		t = xs_text_run(p + 2 + n, end);

		/* near the end: xs_start_plain's byte-by-byte test (n + 3 <= 18) */
		if ((size_t) (end - t) < n + 18)
		{
			found = e;
			break;
		}
		last = e;
		/* the end tag: up to 16 bytes in one compare, else in parts */
		if (n <= 13 ?
			_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *) t),
														   e->endmask),
											 e->endkey)) == 0xFFFF :
			t[0] == '<' && t[1] == '/' && t[2 + n] == '>' &&
			(n < 16 ?
			 _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *) (t + 2)),
															e->mask),
											  e->key)) == 0xFFFF :
			 xs_same_long(t + 2, e->qname, n)))
		{
			if (!leaf(s, &e->name, p + 2 + n, t - (p + 2 + n)))
				return NULL;
			p = t + 3 + n;
			continue;
		}
		/* not a leaf: opened, as xs_start_plain opens it */
		if (!start(s, &e->name))
			return NULL;
		xs_push(s, p + 1, n, e->name.lname, e->name.prefix, e->name.uri,
				s->nbind, s->used);
		p += 2 + n;
	}
	s->last = last - s->cache;
	*guess = found != NULL ? found - s->cache : XS_CACHE;
	return p;
}
#endif

#endif							/* XMLSCAN_RUN_H */
