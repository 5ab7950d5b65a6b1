/*-------------------------------------------------------------------------
 * xmlscan.c
 *		A strict scanner for plain XML (see xmlscan.h for what it accepts
 *		and why giving up is always safe).
 *
 * Rules followed throughout: every construct is checked against the XML
 * 1.0 and Namespaces in XML grammars for the part this scanner handles,
 * and at the first byte that is outside that part, whether the document
 * is wrong or only unusual, the scan returns false.  Limits are well below
 * libxml2's (names, depth, attributes) or equal to them (the size of the
 * document, XMLSCAN_MAX_INPUT), so nothing accepted here can hit one of
 * them there.
 *-------------------------------------------------------------------------
 */
#include "xmlscan.h"
#include "xmlscan_run.h"

#include <stdint.h>
#include <string.h>

#define XML_NS	"http://www.w3.org/XML/1998/namespace"
#define XMLNS_NS	"http://www.w3.org/2000/xmlns/"

typedef struct XsName
{
	const char *prefix;			/* in the document; NULL if none */
	size_t		plen;
	const char *local;
	size_t		llen;
	const char *qname;			/* prefix:local as written */
	size_t		qlen;
} XsName;

static void
xs_skip_space(XsScan *s)
{
	while (s->p < s->end && xs_is_space(*s->p))
		s->p++;
}

static bool
xs_looking_at(const XsScan *s, const char *lit)
{
	size_t		n = strlen(lit);

	return (size_t) (s->end - s->p) >= n && memcmp(s->p, lit, n) == 0;
}

/*
 * The character at s (avail bytes left): its length if it is valid UTF-8
 * (no overlong forms, surrogates or code points past U+10FFFF) and an XML
 * 1.0 Char: no C0 control but TAB and LF, no U+FFFE or U+FFFF; else 0.  CR
 * is refused too: a parser turns CR LF into LF, and this scanner passes
 * text through unchanged.
 */
static inline int
xs_char_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char c1;

	if (c < 0x80)
		return c >= 0x20 || c == '\t' || c == '\n';
	if (c >= 0xC2 && c <= 0xDF)
		return avail >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (avail < 3)
			return 0;
		c1 = s[1];
		if ((c1 & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && c1 < 0xA0)
			return 0;			/* overlong */
		if (c == 0xED && c1 >= 0xA0)
			return 0;			/* surrogate */
		if (c == 0xEF && c1 == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
			return 0;			/* U+FFFE, U+FFFF */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (avail < 4)
			return 0;
		c1 = s[1];
		if ((c1 & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			(s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
			return 0;			/* overlong, beyond U+10FFFF */
		return 4;
	}
	return 0;
}

/*
 * Every character of s[0..len) is an XML Char (xs_char_len).  Markup is
 * checked as it is read (names are ASCII, white space is three bytes) and
 * text as it is scanned; this is for the rest: attribute values, comments
 * and CDATA sections.
 */
static bool
xs_check_chars(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		int			n;

		/* eight plain ASCII bytes at a time */
		if (i + 8 <= len)
		{
			uint64_t	v;

			memcpy(&v, s + i, 8);
			/* no high bit, and no byte below 0x20 */
			if ((v & UINT64_C(0x8080808080808080)) == 0 &&
				((v - UINT64_C(0x2020202020202020)) & ~v &
				 UINT64_C(0x8080808080808080)) == 0)
			{
				i += 8;
				continue;
			}
		}
		n = xs_char_len(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/*
 * Byte classes: the hot loops look bytes up instead of comparing.  Names
 * are ASCII NCNames (non-ASCII names are left to libxml2).
 */
#define XS_NAME_START	1
#define XS_NAME_CHAR	2
#define XS_TEXT_PLAIN	4		/* ASCII text but '<', '&', ']' and controls */

static unsigned char xs_class[256];

static void
xs_init_classes(void)
{
	int			c;

	if (xs_class['a'] != 0)
		return;
	for (c = 0; c < 256; c++)
	{
		unsigned char k = 0;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
			k |= XS_NAME_START | XS_NAME_CHAR;
		if ((c >= '0' && c <= '9') || c == '-' || c == '.')
			k |= XS_NAME_CHAR;
		if (c >= 0x20 && c < 0x80 && c != '<' && c != '&' && c != ']')
			k |= XS_TEXT_PLAIN;
		xs_class[c] = k;
	}
}

static bool
xs_name_start(char c)
{
	return (xs_class[(unsigned char) c] & XS_NAME_START) != 0;
}

static bool
xs_name_char(char c)
{
	return (xs_class[(unsigned char) c] & XS_NAME_CHAR) != 0;
}

/* An NCName at p: the byte after it, or NULL. */
static inline const char *
xs_ncname_at(const char *p, const char *end)
{
	if (p >= end || !xs_name_start(*p))
		return NULL;
	p++;
	while (p < end && xs_name_char(*p))
		p++;
	return p;
}

/* QName at p: NCName, or NCName ':' NCName.  The byte after it, or NULL. */
static inline XS_ALWAYS_INLINE const char *
xs_qname_at(const char *p, const char *end, XsName *n)
{
	const char *q;

	n->qname = p;
#ifdef XS_SSE2

	/*
	 * A name shorter than 16 bytes at once: the run of name characters
	 * and colons, which must be an NCName, or two joined by one colon.
	 */
	if (end - p >= 16)
	{
		__m128i		v = _mm_loadu_si128((const __m128i *) p);
		__m128i		lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
		__m128i		letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
										   _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
		__m128i		digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
										  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
		__m128i		other = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')),
													  _mm_cmpeq_epi8(v, _mm_set1_epi8('-'))),
										 _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
		unsigned int namech = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), other));
		unsigned int colon = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
		unsigned int stop = ~(namech | colon) & 0xFFFF;

		if (stop != 0)
		{
			size_t		len = __builtin_ctz(stop);

			colon &= (1u << len) - 1;
			if (len == 0 || !xs_name_start(p[0]))
				return NULL;
			if (colon == 0)
			{
				n->prefix = NULL;
				n->plen = 0;
				n->local = p;
				n->llen = len;
			}
			else
			{
				size_t		c = __builtin_ctz(colon);

				/* a second colon, or no NCName after the colon */
				if ((colon & (colon - 1)) != 0 || !xs_name_start(p[c + 1]))
					return NULL;
				n->prefix = p;
				n->plen = c;
				n->local = p + c + 1;
				n->llen = len - c - 1;
			}
			n->qlen = len;
			return p + len;
		}
	}
#endif
	q = xs_ncname_at(p, end);
	if (q == NULL)
		return NULL;
	if (q < end && *q == ':')
	{
		n->prefix = p;
		n->plen = q - p;
		n->local = q + 1;
		q = xs_ncname_at(q + 1, end);
		if (q == NULL)
			return NULL;
		n->llen = q - n->local;
	}
	else
	{
		n->prefix = NULL;
		n->plen = 0;
		n->local = p;
		n->llen = q - p;
	}
	/* a second colon is not a QName */
	if (q < end && *q == ':')
		return NULL;
	n->qlen = q - p;
	return n->qlen <= XS_MAX_NAME ? q : NULL;
}

static bool
xs_qname(XsScan *s, XsName *n)
{
	const char *q = xs_qname_at(s->p, s->end, n);

	if (q == NULL)
		return false;
	s->p = q;
	return true;
}

static bool
xs_eq(const char *a, size_t alen, const char *lit)
{
	return alen == strlen(lit) && memcmp(a, lit, alen) == 0;
}

/* A NUL-terminated copy in the arena, or NULL if it is full. */
static const char *
xs_copy(XsScan *s, const char *src, size_t len)
{
	char	   *d;

	if (len + 1 > XS_ARENA - s->used)
		return NULL;
	d = s->arena + s->used;
	memcpy(d, src, len);
	d[len] = '\0';
	s->used += len + 1;
	return d;
}

/*
 * The canonical pointer for a local name the handler listed, or NULL;
 * then s->lastname is its index in the list.
 */
static const char *
xs_listed(XsScan *s, const XsName *n)
{
	int			nnames = s->h->nnames < XS_MAX_NAMES ? s->h->nnames : XS_MAX_NAMES;
	int			k;

	/*
	 * Documents tend to repeat their elements in the same order: try the
	 * name after the last one found first.  (lastname + 1 + k is below
	 * 2 * nnames: one subtraction wraps it, where "%" cost a division per
	 * element, a tenth of this function's time in a profile.)
	 */
	for (k = 0; k < nnames; k++)
	{
		int			i = s->lastname + 1 + k;

		if (i >= nnames)
			i -= nnames;

		if (s->namelen[i] == n->llen && s->h->names[i][0] == n->local[0] &&
			xs_same(s->h->names[i], n->local, n->llen))
		{
			s->lastname = i;
			return s->h->names[i];
		}
	}
	return NULL;
}

/* The canonical pointer for a local name the handler listed, or a copy. */
static const char *
xs_local(XsScan *s, const XsName *n)
{
	const char *l = xs_listed(s, n);

	return l != NULL ? l : xs_copy(s, n->local, n->llen);
}

/*
 * The namespace a prefix (NULL: the default namespace) is bound to.
 * *found is false for an undeclared prefix; the default namespace may be
 * undeclared, which is no namespace (NULL).
 */
static const char *
xs_lookup(const XsScan *s, const char *prefix, size_t plen, bool *found,
		  const char **pcopy)
{
	int			i;

	*found = true;
	if (pcopy != NULL)
		*pcopy = NULL;
	for (i = s->nbind - 1; i >= 0; i--)
	{
		const XsBinding *b = &s->bind[i];

		if (prefix == NULL ? b->prefix == NULL :
			(b->prefix != NULL && b->plen == plen && xs_same(b->prefix, prefix, plen)))
		{
			if (pcopy != NULL)
				*pcopy = b->pcopy;
			return b->uri;
		}
	}
	if (prefix == NULL)
		return NULL;
	if (xs_eq(prefix, plen, "xml"))
	{
		if (pcopy != NULL)
			*pcopy = "xml";
		return XML_NS;
	}
	*found = false;
	return NULL;
}

/*
 * A namespace name this scanner accepts: an absolute URI of the plainest
 * kind, scheme ":" and then only unreserved characters and "/" (and ":"
 * when there is no authority, where it cannot be read as a port).  libxml2
 * calls a namespace name it cannot parse as a URI an error and a relative
 * one a warning; anything short of plain is left to it.
 */
static bool
xs_plain_uri(const char *u, size_t len)
{
	size_t		i = 0;
	bool		authority;

	if (len == 0 || !((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
		return false;
	while (i < len && u[i] != ':')
	{
		char		c = u[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return false;
		i++;
	}
	if (i == len)
		return false;			/* no scheme */
	i++;
	authority = len - i >= 2 && u[i] == '/' && u[i + 1] == '/';
	for (; i < len; i++)
	{
		char		c = u[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
			c == '~' || c == '/' || (c == ':' && !authority))
			continue;
		return false;
	}
	return true;
}

/* Whether this start tag (bindings from "first" on) already declared the prefix. */
static bool
xs_declared_here(const XsScan *s, int first, const char *prefix, size_t plen)
{
	int			i;

	for (i = first; i < s->nbind; i++)
	{
		const XsBinding *b = &s->bind[i];

		if (prefix == NULL ? b->prefix == NULL :
			(b->prefix != NULL && b->plen == plen && memcmp(b->prefix, prefix, plen) == 0))
			return true;
	}
	return false;
}

typedef struct XsAttr
{
	XsName		name;
	const char *value;
	const char *vend;
	const char *uri;
} XsAttr;

/* Attribute value: quoted, with nothing a parser would replace in it. */
static bool
xs_attr_value(XsScan *s, const char **value, const char **vend)
{
	char		q;

	if (s->p >= s->end || (*s->p != '"' && *s->p != '\''))
		return false;
	q = *s->p++;
	*value = s->p;
	while (s->p < s->end && *s->p != q)
	{
		char		c = *s->p;

		/* '<' is an error; '&', TAB and LF would be replaced */
		if (c == '<' || c == '&' || c == '\t' || c == '\n')
			return false;
		s->p++;
	}
	if (s->p >= s->end)
		return false;
	*vend = s->p++;
	return xs_check_chars((const unsigned char *) *value, *vend - *value);
}

/* Callback arguments for an element name (in the arena, until reset). */
static bool
xs_element_args(XsScan *s, const XsName *n, const char **lname,
				const char **prefix, const char **uri)
{
	bool		found;

	*uri = xs_lookup(s, n->prefix, n->plen, &found, prefix);
	if (!found)
		return false;			/* undeclared prefix */
	*lname = xs_local(s, n);
	return *lname != NULL;
}

/* Where a name may be in the cache: from a few of its bytes. */
static inline unsigned int
xs_hash(const XsName *n)
{
	const unsigned char *l = (const unsigned char *) n->local;
	size_t		k = n->llen;	/* at least 1 */
	size_t		two = k > 1;
	uint64_t	x;

	x = l[0] | (uint64_t) l[two] << 8 | (uint64_t) l[k - 1] << 16 |
		(uint64_t) l[k - 1 - two] << 24 | (uint64_t) (k & 0xFF) << 32 |
		(uint64_t) (n->prefix != NULL ? (unsigned char) n->prefix[0] : 0) << 40;
	return (unsigned int) ((x * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - XS_CACHE_BITS));
}

/*
 * For names of 16 bytes or more, the last bytes of the document and
 * without SSE2: the rest of a text xs_text_run stopped in (*t) byte by
 * byte, and whether the element's end tag follows it, compared in words.
 */
static bool
xs_leaf_end(const char *end, const char *qname, size_t qlen, const char **t)
{
	const char *q = *t;

	while (q < end && (xs_class[(unsigned char) *q] & XS_TEXT_PLAIN))
		q++;
	*t = q;
	return (size_t) (end - q) >= qlen + 3 && q[0] == '<' && q[1] == '/' &&
		q[2 + qlen] == '>' && xs_same(q + 2, qname, qlen);
}

#ifdef XS_SSE2
/* the leaf run with the handler's callbacks, through its pointers */
static const char *
xs_leaf_run(XsScan *s, const char *p, unsigned int *guess)
{
	return xs_leaf_run_with(s, p, guess, xs_leaf_events, xs_run_start,
							xs_run_end, xs_run_text);
}
#endif

/*
 * At p, right after the name of a start tag, ">" or "/>": no attributes,
 * no declarations, so its callback arguments depend only on the name and
 * the bindings in scope, and an element name seen before under the same
 * bindings is looked up in the cache instead of resolved again.  hit is
 * the entry the content loop guessed and checked for this tag, or NULL.
 * Returns the byte after the tag (or after a leaf's end tag), or NULL.
 */
static inline XS_ALWAYS_INLINE const char *
xs_start_plain(XsScan *s, const XsName *name, const char *p,
			   const XsCached *hit)
{
	unsigned int h = 0;
	unsigned int place = XS_CACHE;	/* none */
	size_t		used = s->used;
	bool		empty = *p == '/';
	const XmlScanName *nm = NULL;	/* in the cache, or own */
	XmlScanName own;
	int			w;
#ifdef XS_SSE2
	__m128i		key = _mm_setzero_si128();
	__m128i		mask = _mm_setzero_si128();
	bool		short_name = name->qlen < 16 && s->end - name->qname >= 16;

	if (hit != NULL)
	{
		/* the content loop's guess, checked there */
		if (short_name)
			mask = _mm_loadu_si128((const __m128i *) (xs_ones + 16 - name->qlen));
		key = hit->key;
		nm = &hit->name;
		place = hit - s->cache;
	}
	else if (short_name)
	{
		/*
		 * The name and zeros after it as one 16-byte key: hashed in two
		 * multiplications and compared in one instruction (names hold no
		 * zero bytes, so equal keys are equal names).
		 */
		uint64_t	lo,
					hi;

		mask = _mm_loadu_si128((const __m128i *) (xs_ones + 16 - name->qlen));
		key = _mm_and_si128(_mm_loadu_si128((const __m128i *) name->qname), mask);
		lo = (uint64_t) _mm_cvtsi128_si64(key);
		hi = (uint64_t) _mm_cvtsi128_si64(_mm_unpackhi_epi64(key, key));
		h = (unsigned int) ((lo * UINT64_C(0x9E3779B97F4A7C15) ^ hi * UINT64_C(0xC2B2AE3D27D4EB4F))
							>> (64 - XS_CACHE_BITS));
		for (w = 0; w < XS_CACHE_WAYS; w++)
		{
			const XsCached *e = &s->cache[(h + w) & (XS_CACHE - 1)];

			if (e->scope == s->scope &&
				_mm_movemask_epi8(_mm_cmpeq_epi8(e->key, key)) == 0xFFFF)
			{
				nm = &e->name;
				place = (h + w) & (XS_CACHE - 1);
				break;
			}
		}
	}
	else
#endif
	{
#ifndef XS_SSE2
		(void) hit;				/* the content loop guesses only with SSE2 */
#endif
		h = xs_hash(name);
		for (w = 0; w < XS_CACHE_WAYS; w++)
		{
			const XsCached *e = &s->cache[(h + w) & (XS_CACHE - 1)];

			if (e->scope == s->scope && e->qlen == name->qlen &&
				xs_same(e->qname, name->qname, name->qlen))
			{
				nm = &e->name;
				place = (h + w) & (XS_CACHE - 1);
				break;
			}
		}
	}
	if (nm == NULL)
	{
		bool		found;

		own.uri = xs_lookup(s, name->prefix, name->plen, &found, &own.prefix);
		if (!found)
			return NULL;		/* undeclared prefix */
		own.lname = xs_listed(s, name);
		own.index = own.lname != NULL ? s->lastname : -1;
		if (own.lname == NULL && name->llen < XS_CACHE_ARENA - s->cused)
		{
			/* a copy that lives as long as the cache */
			char	   *d = s->carena + s->cused;

			memcpy(d, name->local, name->llen);
			d[name->llen] = '\0';
			s->cused += name->llen + 1;
			own.lname = d;
		}
		nm = &own;
		if (own.lname != NULL)
		{
			XsCached   *e = &s->cache[h];

			/* a free place or one of another scope, else the first */
			for (w = 0; w < XS_CACHE_WAYS; w++)
			{
				XsCached   *f = &s->cache[(h + w) & (XS_CACHE - 1)];

				if (f->scope != s->scope)
				{
					e = f;
					break;
				}
			}
			place = e - s->cache;
#ifdef XS_SSE2
			/* a long name has a key of zeros, which no short one equals */
			e->key = key;
			e->mask = name->qlen < 16 ?
				_mm_loadu_si128((const __m128i *) (xs_ones + 16 - name->qlen)) :
				_mm_setzero_si128();
			if (name->qlen <= 13)
			{
				char		b[16] = {'<', '/'};

				memcpy(b + 2, name->qname, name->qlen);
				b[2 + name->qlen] = '>';
				e->endkey = _mm_loadu_si128((const __m128i *) b);
				e->endmask = _mm_loadu_si128((const __m128i *) (xs_ones + 16 - (name->qlen + 3)));
			}
#endif
			e->scope = s->scope;
			e->qlen = name->qlen;
			e->qname = name->qname;
			e->name = own;
			e->next = 0;
			e->next2 = 0;
			e->pnext = e->pnext2 = &s->cache[0];
		}
		else if ((own.lname = xs_copy(s, name->local, name->llen)) == NULL)
			return NULL;
	}

	/*
	 * Learn which start tag follows which: the content loop tries the
	 * one that came after this one last time before reading a name.
	 */
	if (place < XS_CACHE)
	{
		/* (a guess came from these links: nothing to learn) */
		XsCached   *last = &s->cache[s->last];

		if (hit == NULL && last->next != place)
		{
			last->next2 = last->next;
			last->next = place;
			last->pnext2 = last->pnext;
			last->pnext = &s->cache[place];
		}
		s->last = place;
	}

	if (empty)
	{
		p += 2;
		if (!xs_leaf_events(s, nm, p, 0))
			return NULL;
		s->used = used;
		return p;
	}
	p++;
	if (s->depth == XS_MAX_DEPTH)
		return NULL;

	/*
	 * Most elements are leaves with plain text: when the text ends at this
	 * element's end tag, written without white space, the element is done
	 * here and never pushed.  Anything else is left to the content loop,
	 * which reads the text again.
	 */
	{
		const char *t;			/* where the text ends */
		bool		leaf;		/* at this element's end tag */

#ifdef XS_SSE2
		if (short_name)
		{
			/*
			 * The search for the text's end starts at the name, not after
			 * the '>' (the bytes between are name characters and '>',
			 * which it passes): so it need not wait for the name's length,
			 * and the two run side by side.  The end tag is then compared
			 * with the key in one instruction.
			 */
			t = xs_text_run(name->qname, s->end);
			if (s->end - t >= 18)
				leaf = t[0] == '<' && t[1] == '/' && t[2 + name->qlen] == '>' &&
					_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *) (t + 2)),
																   mask),
													 key)) == 0xFFFF;
			else
				leaf = xs_leaf_end(s->end, name->qname, name->qlen, &t);
		}
		else
#endif
		{
			t = xs_text_run(p, s->end);
			leaf = xs_leaf_end(s->end, name->qname, name->qlen, &t);
		}
		if (leaf)
		{
			if (!xs_leaf_events(s, nm, p, t - p))
				return NULL;
			s->used = used;
			return t + 3 + name->qlen;
		}
	}
	if (!s->h->start(s->arg, nm->lname, nm->prefix, nm->uri, 0, xs_no_attrs))
		return NULL;
	xs_push(s, name->qname, name->qlen, nm->lname, nm->prefix, nm->uri,
			s->nbind, used);
	return p;
}

/* After "<": a start tag, with its attributes and namespace declarations. */
static bool
xs_start_tag(XsScan *s)
{
	XsName		name;
	XsAttr		attrs[XS_MAX_ATTRS];
	const char *args[XS_MAX_ATTRS * XMLSCAN_ATTR_FIELDS];
	int			nattrs = 0;
	int			nbind = s->nbind;
	size_t		used = s->used;
	size_t		elem_used;
	bool		empty;
	const char *lname;
	const char *prefix;
	const char *uri;
	int			i,
				j;

	if (!xs_qname(s, &name))
		return false;
	/* the prefixes "xml" and "xmlns" are reserved for attributes */
	if (name.prefix != NULL &&
		(xs_eq(name.prefix, name.plen, "xml") || xs_eq(name.prefix, name.plen, "xmlns")))
		return false;
	if (s->p < s->end &&
		(*s->p == '>' || (*s->p == '/' && s->end - s->p >= 2 && s->p[1] == '>')))
	{
		s->p = xs_start_plain(s, &name, s->p, NULL);
		return s->p != NULL;
	}

	for (;;)
	{
		XsAttr	   *a;
		const char *before = s->p;

		xs_skip_space(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == '>' || *s->p == '/')
			break;
		if (s->p == before)
			return false;		/* attributes are separated by white space */
		if (nattrs == XS_MAX_ATTRS)
			return false;
		a = &attrs[nattrs];
		if (!xs_qname(s, &a->name))
			return false;
		xs_skip_space(s);
		if (s->p >= s->end || *s->p != '=')
			return false;
		s->p++;
		xs_skip_space(s);
		if (!xs_attr_value(s, &a->value, &a->vend))
			return false;

		/* the same name twice */
		for (j = 0; j < nattrs; j++)
		{
			if (attrs[j].name.qlen == a->name.qlen &&
				memcmp(attrs[j].name.qname, a->name.qname, a->name.qlen) == 0)
				return false;
		}

		/* a namespace declaration */
		if (a->name.prefix == NULL && xs_eq(a->name.local, a->name.llen, "xmlns"))
		{
			XsBinding  *b;

			if (s->nbind == XS_MAX_BINDINGS || xs_declared_here(s, nbind, NULL, 0))
				return false;
			b = &s->bind[s->nbind++];
			b->prefix = NULL;
			b->plen = 0;
			b->pcopy = NULL;
			b->uri = NULL;
			if (a->vend > a->value)
			{
				if (!xs_plain_uri(a->value, a->vend - a->value))
					return false;
				b->uri = xs_copy(s, a->value, a->vend - a->value);
				if (b->uri == NULL ||
					strcmp(b->uri, XML_NS) == 0 || strcmp(b->uri, XMLNS_NS) == 0)
					return false;
			}
			continue;
		}
		if (a->name.prefix != NULL && xs_eq(a->name.prefix, a->name.plen, "xmlns"))
		{
			XsBinding  *b;

			/* reserved prefixes, and undeclaring a prefix (XML NS 1.1) */
			if (xs_eq(a->name.local, a->name.llen, "xml") ||
				xs_eq(a->name.local, a->name.llen, "xmlns") ||
				a->vend == a->value || s->nbind == XS_MAX_BINDINGS ||
				xs_declared_here(s, nbind, a->name.local, a->name.llen))
				return false;
			if (!xs_plain_uri(a->value, a->vend - a->value))
				return false;
			b = &s->bind[s->nbind++];
			b->prefix = a->name.local;
			b->plen = a->name.llen;
			b->pcopy = xs_copy(s, a->name.local, a->name.llen);
			b->uri = xs_copy(s, a->value, a->vend - a->value);
			if (b->pcopy == NULL || b->uri == NULL ||
				strcmp(b->uri, XML_NS) == 0 || strcmp(b->uri, XMLNS_NS) == 0)
				return false;
			continue;
		}
		nattrs++;
	}

	if (*s->p == '/')
	{
		s->p++;
		if (s->p >= s->end || *s->p != '>')
			return false;
		empty = true;
	}
	else
		empty = false;
	s->p++;

	/* the element's names, kept until its end tag */
	if (!xs_element_args(s, &name, &lname, &prefix, &uri))
		return false;
	elem_used = s->used;

	/* resolve the attributes' prefixes, now that all declarations are in */
	for (i = 0; i < nattrs; i++)
	{
		XsAttr	   *a = &attrs[i];
		const char **f = &args[i * XMLSCAN_ATTR_FIELDS];
		bool		found = true;

		a->uri = a->name.prefix == NULL ? NULL :
			xs_lookup(s, a->name.prefix, a->name.plen, &found, NULL);
		if (!found)
			return false;
		/* {namespace, local name} must be unique too */
		for (j = 0; j < i && a->uri != NULL; j++)
		{
			if (attrs[j].uri != NULL && strcmp(attrs[j].uri, a->uri) == 0 &&
				attrs[j].name.llen == a->name.llen &&
				memcmp(attrs[j].name.local, a->name.local, a->name.llen) == 0)
				return false;
		}
		f[0] = xs_copy(s, a->name.local, a->name.llen);
		f[1] = a->name.prefix == NULL ? NULL :
			xs_copy(s, a->name.prefix, a->name.plen);
		f[2] = a->uri;
		f[3] = a->value;
		f[4] = a->vend;
		if (f[0] == NULL || (a->name.prefix != NULL && f[1] == NULL))
			return false;
	}

	if (!s->h->start(s->arg, lname, prefix, uri, nattrs, args))
		return false;

	if (empty)
	{
		if (!s->h->end(s->arg, lname, prefix, uri))
			return false;
		s->nbind = nbind;
		s->used = used;
		return true;
	}

	if (s->depth == XS_MAX_DEPTH)
		return false;

	xs_push(s, name.qname, name.qlen, lname, prefix, uri, nbind, used);
	/* new bindings: names resolved before may mean something else now */
	if (s->nbind != nbind)
		s->scope = ++s->scopes;
	/* the attributes' names are not needed any more */
	s->used = elem_used;
	return true;
}

/* After "<!--": a comment, which may not contain "--". */
static bool
xs_comment(XsScan *s)
{
	const char *dd = NULL;
	const char *q;

	for (q = s->p; q + 1 < s->end; q++)
	{
		if (q[0] == '-' && q[1] == '-')
		{
			dd = q;
			break;
		}
	}
	if (dd == NULL || dd + 2 >= s->end || dd[2] != '>' ||
		!xs_check_chars((const unsigned char *) s->p, dd - s->p))
		return false;
	s->p = dd + 3;
	return true;
}

/* After "<![CDATA[": its text, unchanged. */
static bool
xs_cdata(XsScan *s)
{
	const char *q;

	for (q = s->p; q + 2 < s->end; q++)
	{
		if (q[0] == ']' && q[1] == ']' && q[2] == '>')
		{
			bool		ok = xs_check_chars((const unsigned char *) s->p, q - s->p) &&
			(q == s->p || s->h->text(s->arg, s->p, q - s->p));

			s->p = q + 3;
			return ok;
		}
	}
	return false;
}

/* UTF-8 for a code point that is an XML Char; 0 if it is not one. */
static int
xs_utf8(unsigned long cp, char *out)
{
	if (cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp < 0x80))
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x20)
		return 0;
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
		return 0;
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	if (cp > 0x10FFFF)
		return 0;
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/*
 * After "&": one of the five predefined entities or a character
 * reference, as text.  Any other entity needs a DTD: not ours.
 */
static bool
xs_reference(XsScan *s)
{
	static const struct
	{
		const char *name;
		const char *text;
	}			predefined[] = {
		{"lt;", "<"}, {"gt;", ">"}, {"amp;", "&"}, {"quot;", "\""}, {"apos;", "'"}
	};
	char		out[4];
	int			n;
	int			i;

	if (s->p < s->end && *s->p == '#')
	{
		unsigned long cp = 0;
		int			digits = 0;
		bool		hex = false;

		s->p++;
		if (s->p < s->end && *s->p == 'x')
		{
			hex = true;
			s->p++;
		}
		while (s->p < s->end && *s->p != ';')
		{
			char		c = *s->p;
			int			d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return false;
			if (++digits > 8)
				return false;
			cp = cp * (hex ? 16 : 10) + d;
			s->p++;
		}
		if (digits == 0 || s->p >= s->end)
			return false;
		s->p++;
		n = xs_utf8(cp, out);
		return n > 0 && s->h->text(s->arg, out, n);
	}
	for (i = 0; i < (int) (sizeof(predefined) / sizeof(predefined[0])); i++)
	{
		if (xs_looking_at(s, predefined[i].name))
		{
			s->p += strlen(predefined[i].name);
			return s->h->text(s->arg, predefined[i].text, 1);
		}
	}
	return false;
}

/*
 * Text from p up to the next markup: checked character by character (the
 * document is read once), and "]]>" may not appear in it.  Returns where
 * it ends, or NULL.
 */
static const char *
xs_text(XsScan *s, const char *p)
{
	const char *b = p;
	const char *end = s->end;

	for (;;)
	{
		int			n;

		/* most text ends at a '<' that the fast loop finds */
		p = xs_text_run(p, end);
		if (p < end && *p == '<')
			break;
		while (p < end && (xs_class[(unsigned char) *p] & XS_TEXT_PLAIN))
			p++;
		if (p >= end || *p == '<' || *p == '&')
			break;
		if (*p == ']')
		{
			if (end - p >= 3 && p[1] == ']' && p[2] == '>')
				return NULL;
			p++;
			continue;
		}
		/* TAB, LF, or not ASCII */
		n = xs_char_len((const unsigned char *) p, end - p);
		if (n == 0)
			return NULL;
		p += n;
	}
	return s->h->text(s->arg, b, p - b) ? p : NULL;
}

/*
 * What may stand outside the root element: white space and comments.
 * Returns false at anything else but "<" followed by a name or the end.
 */
static bool
xs_misc(XsScan *s)
{
	for (;;)
	{
		xs_skip_space(s);
		if (xs_looking_at(s, "<!--"))
		{
			s->p += 4;
			if (!xs_comment(s))
				return false;
			continue;
		}
		return s->p >= s->end || (*s->p == '<' && s->end - s->p >= 2 &&
								  xs_name_start(s->p[1]));
	}
}

/*
 * The XML declaration, if there is one: version 1.0, UTF-8 if an encoding
 * is named, standalone yes or no.
 */
static bool
xs_xml_decl(XsScan *s)
{
	const char *v;
	const char *vend;
	const char *name;
	size_t		nlen;
	int			seen = 0;

	if (!xs_looking_at(s, "<?xml"))
		return true;
	s->p += 5;
	for (;;)
	{
		const char *before = s->p;

		xs_skip_space(s);
		if (xs_looking_at(s, "?>"))
		{
			s->p += 2;
			return seen >= 1;
		}
		if (s->p == before)
			return false;
		name = s->p;
		s->p = xs_ncname_at(s->p, s->end);
		if (s->p == NULL)
			return false;
		nlen = s->p - name;
		xs_skip_space(s);
		if (s->p >= s->end || *s->p != '=')
			return false;
		s->p++;
		xs_skip_space(s);
		if (!xs_attr_value(s, &v, &vend))
			return false;
		/* in this order, version first */
		if (seen == 0 && xs_eq(name, nlen, "version"))
		{
			if (!xs_eq(v, vend - v, "1.0"))
				return false;
			seen = 1;
		}
		else if (seen == 1 && xs_eq(name, nlen, "encoding"))
		{
			if (!xs_eq(v, vend - v, "UTF-8") && !xs_eq(v, vend - v, "utf-8"))
				return false;
			seen = 2;
		}
		else if (seen >= 1 && seen < 3 && xs_eq(name, nlen, "standalone"))
		{
			if (!xs_eq(v, vend - v, "yes") && !xs_eq(v, vend - v, "no"))
				return false;
			seen = 3;
		}
		else
			return false;
	}
}

bool
xmlscan_parse(const char *doc, size_t len, const XmlScanHandler *handler,
			  void *arg)
{
	XsScan	   *s;
	XsScan		state;
	const char *end = doc + len;
	const char *p;
	bool		seen_root = false;
	int			i;

	s = &state;
	s->p = doc;
	s->end = doc + len;
	s->h = handler;
	s->arg = arg;
	s->leaf = handler->leaf;
	s->leaf_named = handler->leaf_named;
#ifdef XS_SSE2
	s->leaf_run = handler->leaf_run != NULL ? handler->leaf_run : xs_leaf_run;
#else
	s->leaf_run = NULL;			/* no leaf run without SSE2 */
#endif
	s->nbind = 0;
	s->depth = 0;
	s->used = 0;
	s->lastname = -1;
	s->scope = 1;
	s->scopes = 1;
	s->cused = 0;
	s->last = 0;
	memset(s->cache, 0, sizeof(s->cache));
	for (i = 0; i < XS_CACHE; i++)
		s->cache[i].pnext = s->cache[i].pnext2 = &s->cache[0];
	for (i = 0; i < handler->nnames && i < XS_MAX_NAMES; i++)
		s->namelen[i] = strlen(handler->names[i]);
	xs_init_classes();

	if (len > XMLSCAN_MAX_INPUT)
		return false;
	if (len >= 3 && memcmp(doc, "\xEF\xBB\xBF", 3) == 0)
		s->p += 3;
	if (!xs_xml_decl(s))
		return false;

	p = s->p;
	for (;;)
	{
		if (s->depth == 0)
		{
			/* before or after the root element */
			s->p = p;
			if (!xs_misc(s))
				return false;
			if (s->p >= end)
				return seen_root;
			if (seen_root)
				return false;	/* a second root */
			s->p++;
			if (!xs_start_tag(s))
				return false;
			seen_root = true;
			p = s->p;
			continue;
		}

		/*
		 * Inside the root: the position is kept in p, not in *s, where
		 * every step had to store it and load it again.
		 */
		if (p >= end)
			return false;		/* the document ends inside an element */
		if (*p == '<')
		{
			if (end - p >= 2 && p[1] == '/')
			{
				/* the end tag of the innermost open element */
				const XsOpen *o = &s->open[s->depth - 1];
				size_t		n = o->qlen;

				/*
				 * The name must be the start tag's, byte for byte, and
				 * end there (the start tag's name was checked when it was
				 * read).
				 */
				p += 2;
				if ((size_t) (end - p) <= n || !xs_same(p, o->qname, n) ||
					xs_name_char(p[n]) || p[n] == ':')
					return false;
				p += n;
				if (*p != '>')
				{
					while (p < end && xs_is_space(*p))
						p++;
					if (p >= end || *p != '>')
						return false;
				}
				p++;
				if (!xs_pop(s))
					return false;
			}
			else if (end - p >= 2 && xs_name_start(p[1]))
			{
				XsName		name;
				const char *q;
#ifdef XS_SSE2
				unsigned int g;
				const char *r = s->leaf_run(s, p, &g);
				const XsCached *e;

				if (r == NULL)
					return false;
				if (r != p && g == XS_CACHE)
				{
					p = r;		/* something else after leaves */
					continue;
				}
				p = r;

				/*
				 * One of the two start tags that followed the last one
				 * (the two last different ones, when it has been followed
				 * by more), not a leaf with plain text: if the bytes are
				 * its name (as cached, so checked then) and '>' or "/>"
				 * follows, the name need not be read and resolved again.
				 */
				if (g < XS_CACHE)
				{
					e = &s->cache[g];
					/* the rest of the name is not needed with the entry */
					name.prefix = NULL;
					name.plen = 0;
					name.local = NULL;
					name.llen = 0;
					name.qname = p + 1;
					name.qlen = e->qlen;
					p = xs_start_plain(s, &name, p + 1 + e->qlen, e);
					if (p == NULL)
						return false;
					continue;
				}
#endif
				q = xs_qname_at(p + 1, end, &name);

				if (q == NULL)
					return false;
				/* no attributes, and not the reserved "xml" or "xmlns" */
				if (q < end &&
					(*q == '>' || (*q == '/' && end - q >= 2 && q[1] == '>')) &&
					(name.prefix == NULL ||
					 (!xs_eq(name.prefix, name.plen, "xml") &&
					  !xs_eq(name.prefix, name.plen, "xmlns"))))
					p = xs_start_plain(s, &name, q, NULL);
				else
				{
					/* attributes, or a reserved prefix: the whole way */
					s->p = p + 1;
					p = xs_start_tag(s) ? s->p : NULL;
				}
				if (p == NULL)
					return false;
			}
			else
			{
				s->p = p + 1;
				if (xs_looking_at(s, "!--"))
				{
					s->p += 3;
					if (!xs_comment(s))
						return false;
				}
				else if (xs_looking_at(s, "![CDATA["))
				{
					s->p += 8;
					if (!xs_cdata(s))
						return false;
				}
				else
					return false;	/* also "<?" */
				p = s->p;
			}
		}
		else if (*p == '&')
		{
			s->p = p + 1;
			if (!xs_reference(s))
				return false;
			p = s->p;
		}
		else if ((p = xs_text(s, p)) == NULL)
			return false;
	}
}
