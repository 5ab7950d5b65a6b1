/*-------------------------------------------------------------------------
 * diadoc.h
 *		What every Diadoc operation shares, from src/diadoc.c: options,
 *		authentication (begin/reauth and the request's credentials), the
 *		bounded protobuf decoder and the values quoted in errors.
 *
 * A resource of another Diadoc operation uses diadoc_check_options,
 * diadoc_begin and diadoc_reauth as its callbacks, builds its requests with
 * diadoc_request, starts parse_page with diadoc_need_reauth, and decodes
 * with diadoc_pb_decode; its documents go through src/diadoc_docs.h.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_DIADOC_H
#define PAGED_DIADOC_H

#include "postgres.h"

#include <protobuf-c/protobuf-c.h>

#include "lib/stringinfo.h"
#include "http.h"
#include "options.h"
#include "resource.h"

/* PagedResource callbacks shared by every Diadoc resource */
extern void diadoc_check_options(const PagedOptions *opts);
extern void diadoc_begin(ResourceCtx *ctx);
extern bool diadoc_reauth(ResourceCtx *ctx);

/* make_streams: call once, before the new streams are handed out */
extern void diadoc_new_streams(ResourceCtx *ctx);

/* POST {url}{path}?boxId=box_utf8 with a protobuf body and credentials */
extern void diadoc_request(ResourceCtx *ctx, const char *operation,
						   const char *path, const char *box_utf8,
						   const uint8_t *body, size_t len, HttpRequest *req);

/* parse_page: true when the answer calls for PAGE_REAUTH */
extern bool diadoc_need_reauth(ResourceCtx *ctx, ResourceStream *stream,
							   const PageCursor *cursor,
							   const HttpRequest *req,
							   const HttpResponse *resp);

/* parse_page: reauth, retry, failure, HTML; PAGE_OK to decode as desc */
extern PageVerdict diadoc_check_answer(ResourceCtx *ctx, ResourceStream *stream,
									   const PageCursor *cursor,
									   const HttpRequest *req,
									   const HttpResponse *resp,
									   const ProtobufCMessageDescriptor *desc);

/* ERROR if top-level field "field" occurs more than "most" times */
extern void diadoc_check_count(const HttpRequest *req, const HttpResponse *resp,
							   uint32 field, const char *what, int most);

/* Decode as desc, or an ERROR saying why the body is not one */
extern ProtobufCMessage *diadoc_decode_answer(const ProtobufCMessageDescriptor *desc,
											  const HttpRequest *req,
											  const HttpResponse *resp);

/* SQLSTATE of a failed answer, for http_raise */
extern int	diadoc_failure_sqlstate(const HttpResponse *resp);

/* Decode within paged_fdw.max_decoded_size; NULL if not a valid message */
extern ProtobufCMessage *diadoc_pb_decode(const ProtobufCMessageDescriptor *desc,
										  const HttpRequest *req,
										  const HttpResponse *resp);

/* Occurrences of field "number" at the top level of data, or -1 */
extern int64 diadoc_pb_count_field(const uint8_t *data, size_t len,
								   uint32 number);

/* Why data is not a valid desc (after a failed decode); false if unknown */
extern bool diadoc_pb_explain(const ProtobufCMessageDescriptor *desc,
							  const uint8_t *data, size_t len, size_t base,
							  const char *path, StringInfo why);

/* The credentials to redact from quoted values (diadoc_value_secrets) */
extern List *diadoc_scan_secrets(ResourceCtx *ctx);

/* A database-encoding string as UTF-8 for the wire */
extern char *diadoc_to_utf8(const char *s);

/*
 * Intersect the text values of an EQ/IN condition into *vals, *nvals
 * (*vals NULL: no condition yet; *nvals 0 afterwards: no row can match).
 */
extern void diadoc_constrain(const PushedValue *pv, char ***vals, int *nvals);

#endif							/* PAGED_DIADOC_H */
