/*-------------------------------------------------------------------------
 * xmlscan.h
 *		A strict scanner for the plain subset of XML that API answers are
 *		written in: one fast pass, SAX-style callbacks, namespaces.
 *
 * It is not an XML parser.  It accepts a document only when it can be sure
 * a conforming parser would accept it and report the same elements,
 * namespaces, attributes and text; anything else, malformed or merely
 * unusual (a DOCTYPE, a processing instruction, non-ASCII names, entity
 * references other than the predefined ones and character references,
 * attribute values a parser would normalize, a carriage return, another
 * encoding), makes it give up, and the caller parses the document again
 * with libxml2, which then also says what is wrong.  So it never loads or
 * expands anything, and a caller that falls back on every false return
 * behaves exactly as with libxml2 alone, only faster.
 *
 * Plain C, no PostgreSQL and no libxml2: the benchmark's baseline program
 * uses it too.
 *-------------------------------------------------------------------------
 */
#ifndef XMLSCAN_H
#define XMLSCAN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Attributes are passed as libxml2's SAX2 passes them: five pointers each,
 * local name, prefix (or NULL), namespace URI (or NULL), value, end of
 * value (values are not NUL-terminated).  Namespace declarations are not
 * among them.
 */
#define XMLSCAN_ATTR_FIELDS	5

/*
 * libxml2 (2.9, without XML_PARSE_HUGE) refuses a document of more bytes
 * than this ("Huge input lookup": XML_MAX_LOOKUP_LIMIT, applied by the push
 * parser to the whole input); its other limits (a text node, CDATA
 * section, comment or attribute value of at most XML_MAX_TEXT_LENGTH, the
 * same number, names of 50,000 bytes; its push parser has no depth limit)
 * are met within it or are above the scanner's own.  The scanner gives up
 * beyond it.
 */
#define XMLSCAN_MAX_INPUT	10000000

/* see XmlScanHandler.leaf */
typedef bool (*XmlScanLeaf) (void *arg, const char *lname, const char *prefix,
							 const char *uri, const char *s, size_t len);

/*
 * An element's names for XmlScanHandler.leaf_named: the start and end
 * callbacks' arguments, and the index of the local name in
 * XmlScanHandler.names (-1 if it is not one of them).
 */
typedef struct XmlScanName
{
	const char *lname;
	const char *prefix;
	const char *uri;
	int			index;
} XmlScanName;

typedef bool (*XmlScanLeafNamed) (void *arg, const XmlScanName *name,
								  const char *s, size_t len);

/* see XmlScanHandler.leaf_run; the scanner's state is xmlscan_run.h's */
struct XsScan;
typedef const char *(*XmlScanLeafRun) (struct XsScan *s, const char *p,
									   unsigned int *guess);

/* Each callback returns false to stop the scan (xmlscan_parse then fails). */
typedef struct XmlScanHandler
{
	bool		(*start) (void *arg, const char *lname, const char *prefix,
						  const char *uri, int nattrs, const char **attrs);
	bool		(*end) (void *arg, const char *lname, const char *prefix,
						const char *uri);
	/* text inside the root element, in pieces; CDATA too */
	bool		(*text) (void *arg, const char *s, size_t len);

	/*
	 * Element local names equal to one of these are passed as this very
	 * pointer, so that the callbacks can compare pointers.
	 */
	const char *const *names;
	int			nnames;

	/*
	 * Optional (NULL: start, text and end as above).  An element whose
	 * start tag has no attributes and no namespace declarations and whose
	 * content is one piece of plain text, or nothing (<p:a/>, <p:a></p:a>),
	 * may be passed in this one call instead: the arguments of its start
	 * and end callbacks and its text (len 0 when empty; s is then not to be
	 * read), which is a piece of the document itself, never a copy.
	 * Equivalent to start(no attributes), text (if len > 0), end.
	 * Which elements take it is the scanner's choice; the rest go the
	 * usual way.  Last in the struct so that initializers without it stay
	 * valid.
	 */
	XmlScanLeaf leaf;

	/*
	 * Optional, taken instead of leaf when set: the same call, with the
	 * names in one struct (valid during the call only) that also says
	 * which of names the local name is, so that the handler neither looks
	 * it up nor gets three pointers passed.
	 */
	XmlScanLeafNamed leaf_named;

	/*
	 * Optional, for code built with xmlscan_run.h alone: a copy of the
	 * scanner's leaf run made with xs_leaf_run_with and functions that do
	 * what the generic ones would do with this handler's callbacks, so
	 * that they can be inlined into its loop.  The scan then makes the
	 * same calls as without it; leaf_named is still needed (the rest of
	 * the scanner calls it).  Ignored where the run needs SSE2 and there
	 * is none.
	 */
	XmlScanLeafRun leaf_run;
} XmlScanHandler;

/*
 * Scan doc[0..len).  Returns true if the whole document was scanned and
 * every callback returned true; false if the scanner gave up or a
 * callback stopped it (the callbacks may have been called for part of the
 * document).
 */
extern bool xmlscan_parse(const char *doc, size_t len,
						  const XmlScanHandler *handler, void *arg);

#endif							/* XMLSCAN_H */
