/*-------------------------------------------------------------------------
 * pg_shim.h
 *		Just enough of a PostgreSQL backend to run paged_fdw's resource
 *		parsers outside of one (fuzzers and unit tests).
 *
 * palloc and friends allocate from one arena that shim_reset() frees as a
 * whole, like a memory context reset.  ereport(ERROR) formats its message
 * (so bad format arguments are caught too), runs the error context
 * callbacks and longjmps to PG_exception_stack, as the backend does.
 * Everything the parsers never reach in these programs (latches, caches,
 * the network) aborts if it is called.
 *-------------------------------------------------------------------------
 */
#ifndef PG_SHIM_H
#define PG_SHIM_H

#include "postgres.h"

/* Free everything palloc'd since the last reset. */
extern void shim_reset(void);

/* The database encoding GetDatabaseEncoding() reports (PG_UTF8 default). */
extern void shim_set_database_encoding(int encoding);

/* The last ERROR: SQLSTATE and message. */
extern int	shim_last_sqlstate(void);
extern const char *shim_last_message(void);

/*
 * External entities libxml2 asked the loader installed by pg_xml_init()
 * for.  The parsers must never make it ask.
 */
extern int	shim_entity_loads;

/*
 * Secrets (NULL-terminated; NULL for none) no ERROR message may show
 * (checked after the context callbacks ran): not whole, not escaped as
 * \xNN, and, when shim_input holds the whole secret, no piece of eight
 * bytes or more at a cut ("SEKRIT-F..." or "...PASSWORD").
 */
extern const char *const *shim_secrets;
extern const char *shim_input;
extern size_t shim_input_len;

/* abort() unless the value is valid text in the database encoding. */
extern void shim_check_text(Datum d, const char *what);

#endif							/* PG_SHIM_H */
