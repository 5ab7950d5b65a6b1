/*-------------------------------------------------------------------------
 * diadoc.h
 *		What the Diadoc resources share from src/diadoc.c: options,
 *		authentication, requests and the decoding of answers.
 *
 * A Diadoc resource other than docflows_by_packet (src/diadoc_search.c)
 * uses diadoc_check_options, diadoc_begin and diadoc_reauth as its own
 * callbacks (ctx->state is then diadoc.c's), builds each request with
 * diadoc_request, and parses an answer with diadoc_check_answer followed by
 * diadoc_decode_answer.  The documents in an answer are converted by the
 * schemas of diadoc_docs.h.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_DIADOC_H
#define PAGED_DIADOC_H

#include "postgres.h"

#include <protobuf-c/protobuf-c.h>

#include "resource.h"

/* callbacks of PagedResource */
extern void diadoc_check_options(const PagedOptions *opts);
extern void diadoc_begin(ResourceCtx *ctx);
extern bool diadoc_reauth(ResourceCtx *ctx);

/* the box id option (an ERROR naming "operation" when there is none) */
extern char *diadoc_option_box(ResourceCtx *ctx, const char *operation);

/* an option or condition value as UTF-8 for the wire */
extern char *diadoc_to_utf8(const char *s);

/* intersect an evaluated =/IN condition into a set of text values */
extern void diadoc_constrain(const PushedValue *pv, char ***vals, int *nvals);

extern void diadoc_request(ResourceCtx *ctx, HttpRequest *req,
						   const char *operation, const char *path,
						   const char *box_utf8, const ProtobufCMessage *msg);
extern PageVerdict diadoc_check_answer(ResourceCtx *ctx, ResourceStream *stream,
									   const PageCursor *cursor,
									   const HttpRequest *req,
									   const HttpResponse *resp,
									   const ProtobufCMessageDescriptor *desc);
extern ProtobufCMessage *diadoc_decode_answer(const ProtobufCMessageDescriptor *desc,
											  const HttpRequest *req,
											  const HttpResponse *resp);

/* top-level length-delimited fields "number" in wire data, -1 if malformed */
extern int64 diadoc_pb_count_field(const uint8_t *data, size_t len,
								   uint32 number);

/* what diadoc_value_secrets must hold while rows of this scan are filled */
extern List *diadoc_scan_secrets(ResourceCtx *ctx);

#endif							/* PAGED_DIADOC_H */
