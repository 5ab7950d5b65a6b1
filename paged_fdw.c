/*-------------------------------------------------------------------------
 * paged_fdw.c
 *		Foreign data wrapper for paginated web APIs.
 *
 * The FDW callbacks: planning (which conditions are pushed, parameterized
 * paths for joins, costs), execution (evaluate pushed values, walk the
 * pages through the pager, convert records) and EXPLAIN.  Everything about
 * a particular API lives behind src/resource.h; nothing here knows curl,
 * protobuf or XML.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_foreign_table.h"
#include "common/hashfn.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "executor/execAsync.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/prep.h"
#include "optimizer/restrictinfo.h"
#include "parser/parse_coerce.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "http.h"
#include "options.h"
#include "pager.h"
#include "quals.h"
#include "resource.h"
#include "stats.h"

PG_MODULE_MAGIC;

/*
 * Cost model, in the planner's units (seq_page_cost = 1).  A remote request
 * costs far more than a local page read; the numbers only need to rank
 * plans sensibly: a parameterized scan per outer row beats fetching
 * everything, and a scan the API cannot answer is never chosen.
 */
#define PAGED_STARTUP_COST		100.0	/* connection, first request */
#define PAGED_REQUEST_COST		50.0	/* each further page */
#define PAGED_ROWS_PER_KEY_STREAM	10.0	/* e.g. documents in a packet */
#define PAGED_ROWS_PER_OFFSET_STREAM	1000.0	/* e.g. unit changes in an interval */
#define PAGED_STREAMS_UNKNOWN	10.0	/* IN list of unknown length */
/* A scan that cannot be sent: above any number of disabled plan nodes. */
#define PAGED_IMPOSSIBLE_COST	(disable_cost * 1.0e6)

/* Planner state, in baserel->fdw_private. */
typedef struct PagedRelInfo
{
	PagedOptions *opts;
	const PagedResource *res;
	int			natts;
	int		   *attr_colno;		/* resource column per attribute, or -1 */
	char	   *relname;
	int			page_size;
	double		local_selectivity;	/* of the clauses kept local */
	double		base_streams;	/* streams the base restrictions make */
	List	   *part_quals;		/* RestrictInfos: a partition's constraint */
	double		tuples;			/* rows the pushed conditions select */
	int			est_source;		/* PagedEstimateSource of "tuples" */
	char	   *est_key;		/* the pushed conditions, or NULL (below) */
} PagedRelInfo;

/*
 * Where the planner's row count of a scan comes from (EXPLAIN VERBOSE says
 * it): the table option rows_estimate, the total an earlier scan of the
 * same table with the same pushed conditions was told by the API (in this
 * backend, or in any backend when preloaded), the total one request asked
 * while planning was told (use_remote_estimate), or the built-in defaults.
 */
typedef enum PagedEstimateSource
{
	EST_DEFAULT,
	EST_EARLIER_SCAN,
	EST_OPTION,
	EST_EARLIER_SCAN_SHARED,
	EST_REMOTE,
	EST_DEFAULT_NO_TOTAL,		/* use_remote_estimate, but no total told */
	EST_DEFAULT_NO_REMOTE		/* use_remote_estimate, answers have none */
} PagedEstimateSource;

/* Indexes into ForeignScan.fdw_private. */
enum PagedPlanPrivate
{
	PP_COLNOS,					/* IntList: resource column of each fdw_expr */
	PP_OPS,						/* IntList: PagedOp of each fdw_expr */
	PP_DESCS,					/* List of String: the pushed conditions */
	PP_RETRIEVED,				/* IntList: attnos the query needs */
	PP_PAGE_SIZE,				/* Integer */
	PP_LIMIT,					/* Integer: rows the query needs, -1 = all */
	PP_KINDS,					/* IntList: QualConv | QV_* of each fdw_expr */
	PP_GROUPS,					/* IntList: pushed condition of each fdw_expr */
	PP_ORDER,					/* Integer: ResourceCtx.order the plan relies on */
	PP_EST_KEY,					/* String: estimate key, "" = none */
	PP_EST_ROWS,				/* Float: the planner's rows (tuples) */
	PP_EST_SOURCE				/* Integer: PagedEstimateSource */
};

/* Executor state. */
typedef struct PagedScanState
{
	PagedOptions *opts;
	const PagedResource *res;
	int			natts;
	int		   *attr_colno;
	bool	   *want;			/* per resource column */
	bool	   *attr_needed;	/* per attribute */
	/* conversion of resource values to declared types that differ */
	bool	   *convert;
	FmgrInfo   *out_funcs;		/* resource type's output function */
	FmgrInfo   *in_funcs;		/* declared type's input function */
	Oid		   *in_ioparams;
	int32	   *typmods;
	char	  **attnames;

	List	   *exprstates;
	List	   *colnos;
	List	   *ops;
	List	   *kinds;
	List	   *groups;
	int			page_size;
	int			limit;

	MemoryContext scan_cxt;		/* one scan (reset on rescan) */
	MemoryContext explain_cxt;	/* lives as long as the executor state */
	MemoryContext row_cxt;		/* one row's conversions */
	ResourceCtx rctx;
	Pager	   *pager;
	bool		started;
	Datum	   *values;			/* per resource column */
	bool	   *nulls;

	PagerStats	totals;			/* of pagers already ended (rescans) */
	int64		scans;
	int64		streams;		/* streams over all scans */
	char	   *first_request;	/* streams of the first scan, for EXPLAIN */

	/* for error context */
	PagerRow	row;
	const char *converting;

	PagerShared *pshared;		/* Parallel Foreign Scan, or NULL */
	Oid			relid;
	Oid			userid;
	char	   *est_key;		/* record the total the API tells, or NULL */

	/* the order the plan relies on (RC_ORDERED column), checked per row */
	int			order_colno;	/* -1: none */
	bool		have_prev;
	Datum		prev_value;		/* the previous row's (by value, or in scan_cxt) */
	FmgrInfo	order_cmp;		/* its type's btree comparison, and its */
	int16		order_typlen;	/* length and passing, looked up once */
	bool		order_typbyval;

	/*
	 * The row is filled right into the slot: attribute i is column i, each
	 * read exactly when the query needs it, none converted, no column past
	 * the attributes read, no order check.
	 */
	bool		fill_slot;

	/* Async Append */
	bool		nowait;			/* iterating for an AsyncRequest */
	bool		blocked;		/* ... and the pager had to wait */
	int			wait_fd;		/* our copy of the connection's, or -1 */
	uint32		wait_build;		/* of the connection it is a copy of */
	MemoryContextCallback wait_fd_cb;	/* closes it with the query */
} PagedScanState;

PG_FUNCTION_INFO_V1(paged_fdw_handler);
PG_FUNCTION_INFO_V1(paged_fdw_validator);

void		_PG_init(void);

static object_access_hook_type next_object_access_hook = NULL;

static void
paged_object_access_hook(ObjectAccessType access, Oid classId, Oid objectId,
						 int subId, void *arg)
{
	if (next_object_access_hook)
		next_object_access_hook(access, classId, objectId, subId, arg);
	paged_object_access(access, classId, objectId, subId, arg);
}

/*
 * Settings.  paged_fdw.allowed_hosts is superuser-only: it is what stands
 * between a role with USAGE on the wrapper and every address the database
 * host can reach.  Empty (the default) means no restriction, so that
 * installing the extension changes nothing until an administrator decides
 * which hosts to allow.
 */
void
_PG_init(void)
{
	DefineCustomStringVariable("paged_fdw.allowed_hosts",
							   "Hosts that paged_fdw servers may send requests to.",
							   "Comma-separated host names, IP addresses and *.domain patterns, each optionally followed by :port. Empty allows every host.",
							   &http_allowed_hosts,
							   "",
							   PGC_SUSET,
							   0,
							   http_allowed_hosts_check, NULL, NULL);
	/*
	 * Superuser-only too: one page decoded beyond it could take memory from
	 * the whole cluster, while the response size is the server owner's.
	 */
	DefineCustomIntVariable("paged_fdw.max_decoded_size",
							"Most memory one Diadoc page may take when decoded.",
							"A page may also take at most 32 times its size (at least 1 MB).",
							&diadoc_max_decoded_size,
							256, 1, 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	paged_stats_init();
	MarkGUCPrefixReserved("paged_fdw");

	next_object_access_hook = object_access_hook;
	object_access_hook = paged_object_access_hook;
}

/*
 * A table that declares no column the API needs a condition on can never
 * be scanned: say which column to declare (rather than, at every query,
 * asking for a condition on a column the table does not have).
 */
static void
paged_check_declared_required(const PagedResource *res, Relation rel,
							  const int *attr_colno, int natts)
{
	int		   *mask = palloc0(sizeof(int) * res->ncolumns);
	StringInfoData need;
	int			i;

	for (i = 0; i < natts; i++)
	{
		if (attr_colno[i] >= 0)
			mask[attr_colno[i]] = ~0;
	}
	if (res->has_required(mask))
	{
		pfree(mask);
		return;
	}

	/* the columns any one of which would do */
	initStringInfo(&need);
	for (i = 0; i < res->ncolumns; i++)
	{
		if (mask[i])
			continue;
		mask[i] = ~0;
		if (res->has_required(mask))
			appendStringInfo(&need, "%s%s %s", need.len ? " or " : "",
							 res->columns[i].name,
							 format_type_be(res->columns[i].typid));
		mask[i] = 0;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
			 errmsg("foreign table \"%s\" has no column %s",
					RelationGetRelationName(rel), res->required_columns),
			 errdetail("%s cannot be called without a condition on %s, so no query can read this table.",
					   res->operation, res->required_columns),
			 errhint("Declare a column %s (ALTER FOREIGN TABLE %s ADD COLUMN ...), or map a column to it with the column option column_name.",
					 need.data,
					 quote_identifier(RelationGetRelationName(rel)))));
}

/*
 * Resolve options, resource and the attribute-to-column map of a foreign
 * table.  Errors here come before any request is sent.
 */
static void
paged_resolve(Oid relid, Oid userid, PagedOptions **opts_out,
			  const PagedResource **res_out, int **attr_colno_out,
			  int *natts_out)
{
	PagedOptions *opts = paged_get_options(relid, userid);
	const PagedResource *res = paged_check_resource(opts->api, opts->resource,
													opts->page_size,
													get_rel_name(relid));
	Relation	rel;
	TupleDesc	tupdesc;
	int		   *attr_colno;
	int			i;

	rel = table_open(relid, NoLock);
	tupdesc = RelationGetDescr(rel);
	attr_colno = palloc(sizeof(int) * Max(tupdesc->natts, 1));
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		char	   *name;
		int			colno;

		attr_colno[i] = -1;
		if (att->attisdropped)
			continue;
		name = paged_column_name(relid, att->attnum);
		if (name == NULL)
			name = NameStr(att->attname);
		colno = paged_resource_column(res, name);
		if (colno < 0)
		{
			StringInfoData names;
			int			j;

			initStringInfo(&names);
			for (j = 0; j < res->ncolumns; j++)
				appendStringInfo(&names, "%s%s", j ? ", " : "",
								 res->columns[j].name);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("resource \"%s\" has no column \"%s\"",
							res->name, name),
					 errdetail("Column \"%s\" of foreign table \"%s\" maps to it.",
							   NameStr(att->attname), RelationGetRelationName(rel)),
					 errhint("Valid column names are: %s. Use the column option column_name to map a differently named column.",
							 names.data)));
		}
		attr_colno[i] = colno;
	}
	paged_check_declared_required(res, rel, attr_colno, tupdesc->natts);
	*natts_out = tupdesc->natts;
	table_close(rel, NoLock);

	/* credentials last: what the table itself gets wrong comes first */
	if (res->check_options)
		res->check_options(opts);

	*opts_out = opts;
	*res_out = res;
	*attr_colno_out = attr_colno;
}

/* Bitmask of pushed ops per column for a list of PagedQualInfo. */
static int *
paged_pushed_mask(const PagedResource *res, List *quals)
{
	int		   *mask = palloc0(sizeof(int) * res->ncolumns);
	ListCell   *lc;

	foreach(lc, quals)
	{
		PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);

		mask[q->colno] |= 1 << q->op;
	}
	return mask;
}

/* Number of values a pushed IN makes, roughly. */
static double
paged_count_values(const PagedQualInfo *q)
{
	double		n = 0;
	ListCell   *lv;
	ListCell   *lk;

	forboth(lv, q->values, lk, q->kinds)
	{
		Node	   *v = (Node *) lfirst(lv);

		if (!(lfirst_int(lk) & QV_ARRAY))
			n += 1;
		else if (IsA(v, Const) && !((Const *) v)->constisnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(((Const *) v)->constvalue);

			n += ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
		}
		else if (IsA(v, ArrayExpr))
			n += list_length(((ArrayExpr *) v)->elements);
		else
			n += PAGED_STREAMS_UNKNOWN;
	}
	return n;
}

/*
 * Number of streams a set of pushed conditions makes, roughly: one per
 * combination of the values of the key columns (several conditions on one
 * column intersect, so the smallest count).
 */
static double
paged_estimate_streams(const PagedResource *res, List *quals)
{
	double	   *per_col;
	double		streams = 1.0;
	ListCell   *lc;
	int			i;

	if (res->paging != PAGING_KEY)
		return 1.0;
	per_col = palloc0(sizeof(double) * res->ncolumns);
	foreach(lc, quals)
	{
		PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);
		double		n;

		if (q->op != PAGED_OP_IN && q->op != PAGED_OP_EQ)
			continue;
		n = q->op == PAGED_OP_EQ ? 1.0 : paged_count_values(q);
		if (per_col[q->colno] == 0 || n < per_col[q->colno])
			per_col[q->colno] = n;
	}
	for (i = 0; i < res->ncolumns; i++)
	{
		if (per_col[i] > 0)
			streams *= per_col[i];
	}
	return Max(streams, 1.0);
}

static List *
paged_classify_list(PlannerInfo *root, RelOptInfo *baserel,
					PagedRelInfo *info, List *rinfos, List **local)
{
	List	   *pushed = NIL;
	ListCell   *lc;

	foreach(lc, rinfos)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		List	   *qs = NIL;
		bool		recheck = false;
		ListCell   *lq;

		/* "packet_id IS NOT NULL" (a partition constraint): always true */
		if (!ri->pseudoconstant &&
			quals_always_true(baserel, info->res, info->attr_colno, ri->clause))
			continue;
		if (!ri->pseudoconstant)
			qs = quals_classify(root, baserel, info->res, info->attr_colno,
								ri->clause);
		foreach(lq, qs)
		{
			PagedQualInfo *q = (PagedQualInfo *) lfirst(lq);

			const ResourceColumn *col = &info->res->columns[q->colno];

			/* some operators a rechecked column sends exactly */
			if (q->recheck ||
				(col->recheck && (col->exact_ops & (1 << q->op)) == 0))
				recheck = true;
		}
		pushed = list_concat(pushed, qs);
		if ((qs == NIL || recheck) && local)
			*local = lappend(*local, ri);
	}
	return pushed;
}

/*
 * The partition constraint of a foreign partition, as RestrictInfos on
 * baserel.  The planner does not put it into baserestrictinfo (it only uses
 * it to prune partitions), yet each partition must return only the rows of
 * its bounds: the constraint narrows the request like a WHERE condition and
 * is evaluated locally wherever the request is not exact.
 */
static List *
paged_partition_quals(PlannerInfo *root, RelOptInfo *baserel, Oid relid)
{
	Relation	rel = table_open(relid, NoLock);
	List	   *quals = NIL;
	List	   *result = NIL;
	ListCell   *lc;

	if (rel->rd_rel->relispartition)
		quals = RelationGetPartitionQual(rel);
	table_close(rel, NoLock);
	if (quals == NIL)
		return NIL;

	/* as get_relation_constraints() does: simplify, then our varno */
	quals = (List *) eval_const_expressions(root, (Node *) quals);
	quals = make_ands_implicit((Expr *) canonicalize_qual((Expr *) make_ands_explicit(quals), false));
	if (baserel->relid != 1)
		ChangeVarNodes((Node *) quals, 1, baserel->relid, 0);
	foreach(lc, quals)
	{
		Expr	   *clause = (Expr *) lfirst(lc);

		/* the planner removed a constant-true constraint already */
		if (IsA(clause, Const) && !((Const *) clause)->constisnull &&
			DatumGetBool(((Const *) clause)->constvalue))
			continue;
		result = lappend(result, make_simple_restrictinfo(root, clause));
	}
	return result;
}

/* ----------------------------------------------------------------
 *		Row estimates from the totals earlier scans were told
 *
 * An offset-paged list's first page says how many rows the pushed
 * conditions select (Mercury's unitList@total).  When a scan ends knowing
 * that for every stream, the sum is kept, keyed by table, user and the
 * text of the pushed conditions, and the next plan of the same scan uses
 * it instead of the built-in defaults: in shared memory for every backend
 * when the library is preloaded (stats.c), else here for this backend.
 * Only conditions whose values are known when planning (no parameters)
 * make a key.  The number is an estimate only: it ranks plans and never
 * changes a result.
 * ----------------------------------------------------------------
 */
typedef struct PagedEstimateKey
{
	Oid			relid;
	Oid			userid;
	uint64		conds_hash;		/* of the pushed conditions' text */
} PagedEstimateKey;

typedef struct PagedEstimateEntry
{
	PagedEstimateKey key;
	int64		total;
} PagedEstimateEntry;

/* Beyond this many the table starts over: a cache, not a catalog. */
#define PAGED_ESTIMATES_MAX		1024

static HTAB *paged_estimates = NULL;

static void
paged_estimate_key(PagedEstimateKey *key, Oid relid, Oid userid,
				   const char *conds)
{
	memset(key, 0, sizeof(*key));
	key->relid = relid;
	key->userid = userid;
	key->conds_hash = hash_bytes_extended((const unsigned char *) conds,
										  strlen(conds), 0);
}

/*
 * The total an earlier scan was told, or -1; *shared says whether the
 * cluster's store was asked (preloaded) or this backend's.
 */
static int64
paged_estimate_lookup(Oid relid, Oid userid, const char *conds, bool *shared)
{
	PagedEstimateKey key;
	PagedEstimateEntry *e;
	int64		total;

	paged_estimate_key(&key, relid, userid, conds);
	*shared = paged_estimate_shared_lookup(relid, userid, key.conds_hash,
										   &total);
	if (*shared)
		return total;
	if (paged_estimates == NULL)
		return -1;
	e = hash_search(paged_estimates, &key, HASH_FIND, NULL);
	return e ? e->total : -1;
}

static void
paged_estimate_record(Oid relid, Oid userid, const char *conds, int64 total)
{
	PagedEstimateKey key;
	PagedEstimateEntry *e;

	paged_estimate_key(&key, relid, userid, conds);
	if (paged_estimate_shared_record(relid, userid, key.conds_hash, total))
		return;
	if (paged_estimates != NULL &&
		hash_get_num_entries(paged_estimates) >= PAGED_ESTIMATES_MAX)
	{
		hash_destroy(paged_estimates);
		paged_estimates = NULL;
	}
	if (paged_estimates == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(PagedEstimateKey);
		ctl.entrysize = sizeof(PagedEstimateEntry);
		paged_estimates = hash_create("paged_fdw row estimates", 64, &ctl,
									  HASH_ELEM | HASH_BLOBS);
	}
	e = hash_search(paged_estimates, &key, HASH_ENTER, NULL);
	e->total = total;
}

static bool paged_has_param(Node *node, void *context);

/*
 * The estimate key of a scan with these pushed conditions: their text, or
 * NULL when a value is only known at execution (a parameter).
 */
static char *
paged_estimate_conds(PlannerInfo *root, const PagedResource *res, List *pushed)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, pushed)
	{
		PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);

		if (paged_has_param((Node *) q->values, NULL))
			return NULL;
		appendStringInfo(&buf, "%s%s", buf.len ? " AND " : "",
						 quals_describe(root, res, q));
	}
	return buf.data;
}

static const char *
paged_estimate_source_text(int source)
{
	switch ((PagedEstimateSource) source)
	{
		case EST_OPTION:
			return "table option rows_estimate";
		case EST_EARLIER_SCAN:
			return "total told to an earlier scan";
		case EST_EARLIER_SCAN_SHARED:
			return "total told to an earlier scan in the cluster";
		case EST_REMOTE:
			return "total told to use_remote_estimate's request";
		case EST_DEFAULT_NO_TOTAL:
			return "default: use_remote_estimate's request was told no total";
		case EST_DEFAULT_NO_REMOTE:
			return "default: use_remote_estimate is ignored, the answers tell no total";
		case EST_DEFAULT:
			break;
	}
	return "default";
}

/* Streams use_remote_estimate asks; the others are taken to be as long. */
#define PAGED_REMOTE_ESTIMATE_STREAMS	10

/* Error context of use_remote_estimate's requests. */
static void
paged_remote_estimate_context(void *arg)
{
	errcontext("estimating the rows of foreign table \"%s\" (use_remote_estimate)",
			   (const char *) arg);
}

/*
 * use_remote_estimate: the rows the pushed conditions select, as the API
 * tells them, or -1 if an answer tells no total.  Evaluates the pushed
 * values (they contain no parameter: the caller made an estimate key of
 * them) and asks each stream for one row; the first page of an
 * offset-paged list says how long the list is.  The requests go the way a
 * scan's do (retries, rate limit, statistics); an ERROR is the scan's
 * ERROR, raised while planning.  Everything is freed with "cxt" (on ERROR,
 * with the planner's memory).
 */
static int64
paged_remote_estimate(PagedRelInfo *info, List *pushed)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "paged_fdw estimate",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ErrorContextCallback errcb;
	ErrorContextCallback statcb;
	ExprContext *econtext;
	ResourceCtx rctx;
	List	   *exprstates = NIL;
	List	   *colnos = NIL;
	List	   *ops = NIL;
	List	   *kinds = NIL;
	List	   *groups = NIL;
	List	   *values;
	List	   *streams;
	ListCell   *lc;
	int64		sum = 0;
	int			asked = 0;

	errcb.callback = paged_remote_estimate_context;
	errcb.arg = info->relname;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	foreach(lc, pushed)
	{
		PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);
		ListCell   *lv;
		ListCell   *lk;

		forboth(lv, q->values, lk, q->kinds)
		{
			Expr	   *e = (Expr *) copyObject(lfirst(lv));

			/* as GetForeignPlan's fdw_exprs will be after set_plan_references */
			fix_opfuncids((Node *) e);
			exprstates = lappend(exprstates, ExecInitExpr(e, NULL));
			colnos = lappend_int(colnos, q->colno);
			ops = lappend_int(ops, (int) q->op);
			kinds = lappend_int(kinds, lfirst_int(lk));
			groups = lappend_int(groups, foreach_current_index(lc));
		}
	}
	econtext = CreateStandaloneExprContext();
	values = quals_evaluate(info->res, exprstates, colnos, ops, kinds, groups,
							econtext, cxt);
	FreeExprContext(econtext, true);

	memset(&rctx, 0, sizeof(rctx));
	rctx.opts = info->opts;
	rctx.page_size = info->page_size;
	rctx.scan_cxt = cxt;
	/* no row is converted: no column needs more than the page's parse */
	rctx.want = palloc0(sizeof(bool) * info->res->ncolumns);
	rctx.conn = http_get_conn(info->opts);
	rctx.stat = paged_stats_begin(info->opts, cxt);
	if (rctx.stat)
	{
		statcb.callback = paged_stats_errcontext;
		statcb.arg = rctx.stat;
		statcb.previous = error_context_stack;
		error_context_stack = &statcb;
	}
	if (info->res->begin)
		info->res->begin(&rctx);
	streams = info->res->make_streams(&rctx, values);
	foreach(lc, streams)
	{
		Pager	   *p;
		PagerRow	row;
		int64		total;

		if (asked == PAGED_REMOTE_ESTIMATE_STREAMS)
			break;
		p = pager_begin(info->res, &rctx, list_make1(lfirst(lc)), 1, cxt);
		(void) pager_next(p, &row);
		total = pager_known_total(p);
		pager_end(p);
		if (total < 0)
		{
			sum = -1;
			break;
		}
		sum += total;
		asked++;
	}
	if (sum > 0 && asked < list_length(streams))
		sum = (int64) ((double) sum / asked * list_length(streams));

	if (rctx.stat)
		error_context_stack = statcb.previous;
	error_context_stack = errcb.previous;
	MemoryContextSwitchTo(old);
	/* counts the requests in paged_fdw_stats */
	MemoryContextDelete(cxt);
	return sum;
}

/*
 * Everything the planner needs of a foreign table scan: options, resource,
 * which conditions are pushed, and the estimate.  Made once per relation,
 * by whichever callback comes first (IsForeignScanParallelSafe comes before
 * GetForeignRelSize).
 */
static PagedRelInfo *
paged_rel_info(PlannerInfo *root, RelOptInfo *baserel, RangeTblEntry *rte)
{
	Oid			foreigntableid = rte->relid;
	Oid			userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	PagedRelInfo *info;
	List	   *local = NIL;
	List	   *pushed;
	int64		earlier;
	bool		shared = false;

	if (baserel->fdw_private != NULL)
		return (PagedRelInfo *) baserel->fdw_private;
	info = palloc0(sizeof(PagedRelInfo));
	paged_resolve(foreigntableid, userid, &info->opts, &info->res,
				  &info->attr_colno, &info->natts);
	info->relname = get_rel_name(foreigntableid);
	info->page_size = info->opts->page_size > 0 ?
		info->opts->page_size : info->res->default_page_size;

	info->part_quals = paged_partition_quals(root, baserel, foreigntableid);
	pushed = paged_classify_list(root, baserel, info,
								 list_concat_copy(baserel->baserestrictinfo,
												  info->part_quals),
								 &local);
	info->local_selectivity = clauselist_selectivity(root, local, baserel->relid,
													 JOIN_INNER, NULL);
	info->base_streams = paged_estimate_streams(info->res, pushed);
	info->est_key = paged_estimate_conds(root, info->res, pushed);

	/*
	 * rows_estimate, else an earlier scan's total, else (use_remote_estimate)
	 * what one request asked now is told, else the defaults
	 */
	earlier = info->est_key && info->opts->rows_estimate <= 0 ?
		paged_estimate_lookup(foreigntableid, userid, info->est_key, &shared) : -1;
	info->est_source = EST_DEFAULT;
	if (earlier < 0 && info->est_key && info->opts->rows_estimate <= 0 &&
		info->opts->use_remote_estimate)
	{
		/*
		 * Diadoc's answers carry no total: nothing to ask.  Nor is anything
		 * asked for a query that will fail (no required condition, no
		 * privilege: the executor checks that only after planning).
		 */
		if (info->res->paging != PAGING_OFFSET)
			info->est_source = EST_DEFAULT_NO_REMOTE;
		else if (info->res->has_required(paged_pushed_mask(info->res, pushed)) &&
				 (pg_class_aclcheck(foreigntableid, userid, ACL_SELECT) == ACLCHECK_OK ||
				  pg_attribute_aclcheck_all(foreigntableid, userid, ACL_SELECT,
											ACLMASK_ANY) == ACLCHECK_OK))
		{
			earlier = paged_remote_estimate(info, pushed);
			info->est_source = earlier >= 0 ? EST_REMOTE : EST_DEFAULT_NO_TOTAL;
			/* the next plan of this scan needs no request */
			if (earlier >= 0)
				paged_estimate_record(foreigntableid, userid, info->est_key,
									  earlier);
		}
	}
	if (info->opts->rows_estimate > 0)
	{
		info->tuples = (double) info->opts->rows_estimate;
		info->est_source = EST_OPTION;
	}
	else if (earlier >= 0)
	{
		info->tuples = (double) earlier;
		if (info->est_source != EST_REMOTE)
			info->est_source = shared ? EST_EARLIER_SCAN_SHARED : EST_EARLIER_SCAN;
	}
	else
	{
		info->tuples = info->base_streams *
			(info->res->paging == PAGING_KEY ?
			 PAGED_ROWS_PER_KEY_STREAM : PAGED_ROWS_PER_OFFSET_STREAM);
	}
	baserel->fdw_private = info;
	return info;
}

static void
pagedGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					   Oid foreigntableid)
{
	PagedRelInfo *info = paged_rel_info(root, baserel,
										planner_rt_fetch(baserel->relid, root));

	baserel->tuples = info->tuples;
	baserel->rows = clamp_row_est(baserel->tuples * info->local_selectivity);
}

static int	paged_pushable_limit(PlannerInfo *root, RelOptInfo *baserel,
								 List *local, List *pathkeys);
static void paged_add_partial_path(PlannerInfo *root, RelOptInfo *baserel,
								   PagedRelInfo *info, Cost startup, Cost total);

/* Total cost of fetching "rows" rows in "streams" streams. */
static void
paged_cost(PagedRelInfo *info, double streams, double rows,
		   Cost *startup, Cost *total)
{
	double		pages = streams * Max(1.0, ceil(rows / streams / info->page_size));

	*startup = PAGED_STARTUP_COST;
	*total = PAGED_STARTUP_COST + (pages - 1) * PAGED_REQUEST_COST +
		rows * (cpu_tuple_cost * 2 + cpu_operator_cost * 10);
}

/* Callback for generate_implied_equalities_for_column: our column? */
typedef struct PagedEcArg
{
	Index		relid;
	AttrNumber	attno;
} PagedEcArg;

static bool
paged_ec_member_matches(PlannerInfo *root, RelOptInfo *rel,
						EquivalenceClass *ec, EquivalenceMember *em,
						void *arg)
{
	PagedEcArg *a = (PagedEcArg *) arg;
	Expr	   *expr = em->em_expr;

	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return IsA(expr, Var) && ((Var *) expr)->varno == a->relid &&
		((Var *) expr)->varattno == a->attno &&
		((Var *) expr)->varlevelsup == 0;
}

/*
 * Pathkeys for the order of an RC_ORDERED column when the query wants it
 * first (ORDER BY col [DESC]), with *order as ResourceCtx.order; NIL if the
 * resource cannot deliver what the query wants.  Only on a column of the
 * resource's own, non-collatable type, so that the remote order is the
 * btree order.  Descending only under a LIMIT: the newest rows first is
 * what it is for, and a whole feed is fetched as cheaply either way.
 */
static List *
paged_order_pathkeys(PlannerInfo *root, RelOptInfo *baserel,
					 PagedRelInfo *info, int *order)
{
	PathKey    *pk;
	ListCell   *lc;

	if (root->query_pathkeys == NIL)
		return NIL;
	pk = linitial_node(PathKey, root->query_pathkeys);
	if (pk->pk_eclass->ec_has_volatile)
		return NIL;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = (EquivalenceMember *) lfirst(lc);
		Var		   *var = (Var *) em->em_expr;
		int			colno;

		if (!IsA(var, Var) || var->varno != baserel->relid ||
			var->varlevelsup != 0 || var->varattno <= 0 ||
			var->varattno > info->natts)
			continue;
		colno = info->attr_colno[var->varattno - 1];
		if (colno < 0 || !(info->res->columns[colno].push & RC_ORDERED) ||
			var->vartype != info->res->columns[colno].typid ||
			type_is_collatable(var->vartype) ||
			pk->pk_opfamily != lookup_type_cache(var->vartype,
												 TYPECACHE_BTREE_OPFAMILY)->btree_opf)
			continue;
		if (pk->pk_strategy == BTLessStrategyNumber)
			*order = 1;
		else if (pk->pk_strategy == BTGreaterStrategyNumber &&
				 root->parse->limitCount != NULL)
			*order = -1;
		else
			return NIL;
		return list_make1(pk);
	}
	return NIL;
}

static void
pagedGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
					 Oid foreigntableid)
{
	PagedRelInfo *info = (PagedRelInfo *) baserel->fdw_private;
	const PagedResource *res = info->res;
	List	   *base_pushed;
	List	   *candidates = NIL;
	List	   *outer_sets = NIL;
	Cost		startup;
	Cost		total;
	ListCell   *lc;
	int			attno;

	base_pushed = paged_classify_list(root, baserel, info,
									  list_concat_copy(baserel->baserestrictinfo,
													   info->part_quals),
									  NULL);
	paged_cost(info, info->base_streams, baserel->tuples, &startup, &total);

	/*
	 * A scan without its required condition cannot be sent; keep the path
	 * (so that planning still succeeds and GetForeignPlan can explain why)
	 * but make it so expensive that any parameterized path wins.  Plain
	 * disable_cost is not enough: with enable_nestloop (or the other
	 * enable_* settings) off, the parameterized path's nested loop costs
	 * disable_cost too, and the two would tie.  Several disabled nodes in
	 * one plan still stay far below this.
	 */
	if (!res->has_required(paged_pushed_mask(res, base_pushed)))
	{
		startup += PAGED_IMPOSSIBLE_COST;
		total += PAGED_IMPOSSIBLE_COST;
	}
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL, baserel->lateral_relids,
									 NULL, NIL));
	if (res->has_required(paged_pushed_mask(res, base_pushed)))
	{
		int			order = 0;
		List	   *pathkeys = paged_order_pathkeys(root, baserel, info, &order);

		/* the same scan asked for rows in order: no Sort above it */
		if (pathkeys != NIL)
			add_path(baserel, (Path *)
					 create_foreignscan_path(root, baserel, NULL, baserel->rows,
											 startup, total, pathkeys,
											 baserel->lateral_relids, NULL,
											 list_make1(makeInteger(order))));
		paged_add_partial_path(root, baserel, info, startup, total);
	}

	/* Join clauses that could feed a pushed condition: parameterized paths. */
	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (join_clause_is_movable_to(ri, baserel) &&
			quals_classify(root, baserel, res, info->attr_colno, ri->clause) != NIL)
			candidates = lappend(candidates, ri);
	}
	for (attno = 1; attno <= info->natts; attno++)
	{
		int			colno = info->attr_colno[attno - 1];
		PagedEcArg	arg;
		List	   *clauses;

		if (colno < 0 || !(res->columns[colno].push & (RC_PUSH_EQ | RC_PUSH_IN)))
			continue;
		arg.relid = baserel->relid;
		arg.attno = attno;
		clauses = generate_implied_equalities_for_column(root, baserel,
														 paged_ec_member_matches,
														 &arg,
														 baserel->lateral_referencers);
		foreach(lc, clauses)
		{
			RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

			if (join_clause_is_movable_to(ri, baserel) &&
				quals_classify(root, baserel, res, info->attr_colno, ri->clause) != NIL)
				candidates = lappend(candidates, ri);
		}
	}

	foreach(lc, candidates)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		Relids		required_outer;
		ParamPathInfo *ppi;
		List	   *pushed;
		double		rows;
		double		streams;
		ListCell   *lc2;
		bool		seen = false;

		required_outer = bms_union(ri->clause_relids, baserel->lateral_relids);
		required_outer = bms_del_member(required_outer, baserel->relid);
		if (bms_is_empty(required_outer))
			continue;
		foreach(lc2, outer_sets)
		{
			if (bms_equal((Relids) lfirst(lc2), required_outer))
				seen = true;
		}
		if (seen)
			continue;
		outer_sets = lappend(outer_sets, required_outer);

		ppi = get_baserel_parampathinfo(root, baserel, required_outer);
		pushed = list_concat(paged_classify_list(root, baserel, info,
												 ppi->ppi_clauses, NULL),
							 base_pushed);
		if (!res->has_required(paged_pushed_mask(res, pushed)))
			continue;

		/* Per outer row: one value of the joined column, so one stream. */
		streams = Min(info->base_streams, 1.0);
		rows = clamp_row_est(streams *
							 (res->paging == PAGING_KEY ?
							  PAGED_ROWS_PER_KEY_STREAM : PAGED_ROWS_PER_OFFSET_STREAM) *
							 info->local_selectivity);
		ppi->ppi_rows = rows;
		paged_cost(info, streams, rows, &startup, &total);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, rows,
										 startup, total, NIL, required_outer,
										 NULL, NIL));
	}
}

/*
 * A Parallel Foreign Scan: the pages of one offset-paged stream or the
 * streams of a multi-stream scan shared out among the processes (pager.c,
 * "Parallel scans").  Not under a LIMIT: which rows a LIMIT without ORDER
 * BY keeps depends on the order of the scan, which a serial scan keeps
 * (stream by stream, page by page) and a parallel one does not; and not
 * when the scan depends on an outer row.
 */
static void
paged_add_partial_path(PlannerInfo *root, RelOptInfo *baserel,
					   PagedRelInfo *info, Cost startup, Cost total)
{
	ForeignPath *path;
	double		pages;
	double		divisor;
	int			workers;

	if (!baserel->consider_parallel || baserel->lateral_relids != NULL ||
		max_parallel_workers_per_gather <= 0)
		return;
	if (root->parse->limitCount != NULL || root->parse->limitOffset != NULL)
		return;

	/* processes worth having: by pages of one stream, or by streams */
	if (info->base_streams <= 1.0 && info->res->paging == PAGING_OFFSET)
	{
		pages = ceil(baserel->tuples / info->page_size);
		workers = (int) Min(pages / 4.0, (double) max_parallel_workers_per_gather);
	}
	else
		workers = (int) Min(info->base_streams - 1.0,
							(double) max_parallel_workers_per_gather);
	/*
	 * max_concurrency is the most requests the scan has in flight: no more
	 * processes than that (pager_set_shared splits the window among them).
	 */
	workers = Min(workers, (info->opts->prefetch ? info->opts->max_concurrency : 1) -
				  (parallel_leader_participation ? 1 : 0));
	if (workers < 1)
		return;

	/* as the planner shares a scan out (costsize.c, get_parallel_divisor) */
	divisor = workers;
	if (parallel_leader_participation && 1.0 - 0.3 * workers > 0)
		divisor += 1.0 - 0.3 * workers;

	path = create_foreignscan_path(root, baserel, NULL,
								   clamp_row_est(baserel->rows / divisor),
								   startup, startup + (total - startup) / divisor,
								   NIL, NULL, NULL, NIL);
	path->path.parallel_aware = true;
	path->path.parallel_safe = true;
	path->path.parallel_workers = workers;
	add_partial_path(baserel, (Path *) path);
}

/*
 * The LIMIT (plus OFFSET) the scan may stop at, or -1.  It is safe to push
 * only when every row the scan returns reaches the LIMIT node unchanged in
 * number: this relation is the query's only one, no condition is evaluated
 * locally, and nothing (ORDER BY, DISTINCT, aggregates, SRFs, window
 * functions) sits between the scan and the LIMIT, except an ORDER BY the
 * scan delivers itself (an RC_ORDERED column).  The planner already
 * folds the last three into limit_tuples < 0.
 */
static int
paged_pushable_limit(PlannerInfo *root, RelOptInfo *baserel, List *local,
					 List *pathkeys)
{
	Query	   *parse = root->parse;

	if (root->limit_tuples < 0 || local != NIL)
		return -1;
	if (bms_membership(root->all_baserels) != BMS_SINGLETON ||
		!bms_is_member(baserel->relid, root->all_baserels))
		return -1;
	/* an ORDER BY the scan's own order satisfies is no obstacle */
	if (parse->sortClause != NIL &&
		!(pathkeys != NIL && pathkeys_contained_in(root->sort_pathkeys, pathkeys)))
		return -1;
	if (parse->distinctClause != NIL ||
		parse->hasAggs || parse->hasWindowFuncs || parse->hasTargetSRFs ||
		parse->groupClause != NIL || parse->groupingSets != NIL ||
		root->hasHavingQual || parse->setOperations != NULL)
		return -1;
	if (root->limit_tuples > PG_INT32_MAX)
		return -1;
	return (int) root->limit_tuples;
}

static ForeignScan *
pagedGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
					Oid foreigntableid, ForeignPath *best_path,
					List *tlist, List *scan_clauses, Plan *outer_plan)
{
	PagedRelInfo *info = (PagedRelInfo *) baserel->fdw_private;
	const PagedResource *res = info->res;
	List	   *local = NIL;
	List	   *pushed;
	List	   *fdw_exprs = NIL;
	List	   *colnos = NIL;
	List	   *ops = NIL;
	List	   *kinds = NIL;
	List	   *groups = NIL;
	List	   *descs = NIL;
	List	   *retrieved = NIL;
	List	   *fdw_private;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			i;

	pushed = paged_classify_list(root, baserel, info,
								 list_concat_copy(scan_clauses, info->part_quals),
								 &local);
	if (!res->has_required(paged_pushed_mask(res, pushed)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("foreign table \"%s\" needs a condition on %s",
						info->relname, res->required_columns),
				 errdetail("%s cannot be called without it, so the scan cannot be sent.",
						   res->operation),
				 errhint("%s", res->required_hint)));

	foreach(lc, pushed)
	{
		PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);
		ListCell   *lv;
		ListCell   *lk;

		forboth(lv, q->values, lk, q->kinds)
		{
			fdw_exprs = lappend(fdw_exprs, lfirst(lv));
			colnos = lappend_int(colnos, q->colno);
			ops = lappend_int(ops, (int) q->op);
			kinds = lappend_int(kinds, lfirst_int(lk));
			groups = lappend_int(groups, foreach_current_index(lc));
		}
		descs = lappend(descs, makeString(quals_describe(root, res, q)));
	}

	/* The columns anybody reads: only those are converted. */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, local)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &attrs);
	for (i = 1; i <= info->natts; i++)
	{
		if (bms_is_member(i - FirstLowInvalidHeapAttributeNumber, attrs) ||
			bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs))
			retrieved = lappend_int(retrieved, i);
	}

	fdw_private = list_concat(list_make5(colnos, ops, descs, retrieved,
										 makeInteger(info->page_size)),
							  list_make4(makeInteger(best_path->path.parallel_aware ? -1 :
													 paged_pushable_limit(root, baserel, local,
																		  best_path->path.pathkeys)),
										 kinds, groups,
										 makeInteger(best_path->fdw_private ?
													 intVal(linitial(best_path->fdw_private)) : 0)));
	/* a parameterized scan's total is one outer row's: not the table's */
	fdw_private = list_concat(fdw_private,
							  list_make3(makeString(best_path->path.param_info == NULL &&
													info->est_key ? info->est_key : ""),
										 makeFloat(psprintf("%.0f", info->tuples)),
										 makeInteger(info->est_source)));
	return make_foreignscan(tlist,
							extract_actual_clauses(local, false),
							baserel->relid,
							fdw_exprs,
							fdw_private,
							NIL,
							NIL,
							outer_plan);
}

static void
pagedBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	RangeTblEntry *rte = exec_rt_fetch(fsplan->scan.scanrelid, estate);
	Oid			userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	Oid			relid = RelationGetRelid(node->ss.ss_currentRelation);
	TupleDesc	tupdesc = RelationGetDescr(node->ss.ss_currentRelation);
	PagedScanState *st = palloc0(sizeof(PagedScanState));
	ListCell   *lc;
	int			i;

	node->fdw_state = st;
	paged_resolve(relid, userid, &st->opts, &st->res, &st->attr_colno,
				  &st->natts);
	st->colnos = (List *) list_nth(fsplan->fdw_private, PP_COLNOS);
	st->ops = (List *) list_nth(fsplan->fdw_private, PP_OPS);
	st->kinds = (List *) list_nth(fsplan->fdw_private, PP_KINDS);
	st->groups = (List *) list_nth(fsplan->fdw_private, PP_GROUPS);
	st->page_size = intVal(list_nth(fsplan->fdw_private, PP_PAGE_SIZE));
	st->limit = intVal(list_nth(fsplan->fdw_private, PP_LIMIT));
	st->relid = relid;
	st->userid = userid;
	if (strVal(list_nth(fsplan->fdw_private, PP_EST_KEY))[0] != '\0')
		st->est_key = strVal(list_nth(fsplan->fdw_private, PP_EST_KEY));

	st->want = palloc0(sizeof(bool) * st->res->ncolumns);
	st->attr_needed = palloc0(sizeof(bool) * Max(st->natts, 1));
	st->convert = palloc0(sizeof(bool) * Max(st->natts, 1));
	st->out_funcs = palloc0(sizeof(FmgrInfo) * Max(st->natts, 1));
	st->in_funcs = palloc0(sizeof(FmgrInfo) * Max(st->natts, 1));
	st->in_ioparams = palloc0(sizeof(Oid) * Max(st->natts, 1));
	st->typmods = palloc0(sizeof(int32) * Max(st->natts, 1));
	st->attnames = palloc0(sizeof(char *) * Max(st->natts, 1));
	st->values = palloc0(sizeof(Datum) * st->res->ncolumns);
	st->nulls = palloc0(sizeof(bool) * st->res->ncolumns);

	foreach(lc, (List *) list_nth(fsplan->fdw_private, PP_RETRIEVED))
	{
		int			attno = lfirst_int(lc);
		Form_pg_attribute att = TupleDescAttr(tupdesc, attno - 1);
		int			colno = st->attr_colno[attno - 1];
		Oid			restype;

		if (colno < 0)
			continue;
		st->attr_needed[attno - 1] = true;
		st->want[colno] = true;
		st->attnames[attno - 1] = pstrdup(NameStr(att->attname));
		restype = st->res->columns[colno].typid;
		if (att->atttypid != restype &&
			!(IsBinaryCoercible(restype, att->atttypid) && att->atttypmod < 0))
		{
			Oid			outfunc;
			bool		isvarlena;
			Oid			infunc;

			/* A declared type other than the resource's: go through text. */
			getTypeOutputInfo(restype, &outfunc, &isvarlena);
			getTypeInputInfo(att->atttypid, &infunc, &st->in_ioparams[attno - 1]);
			fmgr_info(outfunc, &st->out_funcs[attno - 1]);
			fmgr_info(infunc, &st->in_funcs[attno - 1]);
			st->typmods[attno - 1] = att->atttypmod;
			st->convert[attno - 1] = true;
		}
	}

	/* the order the plan relies on: its column is always converted */
	st->order_colno = -1;
	st->rctx.order = intVal(list_nth(fsplan->fdw_private, PP_ORDER));
	st->rctx.want = st->want;
	if (st->rctx.order != 0)
	{
		int			c;

		for (c = 0; c < st->res->ncolumns; c++)
			if (st->res->columns[c].push & RC_ORDERED)
				st->order_colno = c;
		Assert(st->order_colno >= 0);
		st->want[st->order_colno] = true;
	}

	st->fill_slot = st->natts <= st->res->ncolumns && st->order_colno < 0;
	for (i = 0; i < st->res->ncolumns && st->fill_slot; i++)
		st->fill_slot = i < st->natts ?
			st->attr_colno[i] == i && !st->convert[i] &&
			st->attr_needed[i] == st->want[i] : !st->want[i];

	st->explain_cxt = estate->es_query_cxt;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	if (st->order_colno >= 0)
	{
		Oid			typid = st->res->columns[st->order_colno].typid;
		TypeCacheEntry *tce = lookup_type_cache(typid, TYPECACHE_CMP_PROC_FINFO);

		if (!OidIsValid(tce->cmp_proc_finfo.fn_oid))
			elog(ERROR, "could not identify a comparison function for type %s",
				 format_type_be(typid));
		fmgr_info_copy(&st->order_cmp, &tce->cmp_proc_finfo,
					   estate->es_query_cxt);
		get_typlenbyval(typid, &st->order_typlen, &st->order_typbyval);
	}

	st->exprstates = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	st->scan_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "paged_fdw scan",
										 ALLOCSET_DEFAULT_SIZES);
	st->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"paged_fdw row",
										ALLOCSET_DEFAULT_SIZES);
	st->rctx.opts = st->opts;
	st->rctx.page_size = st->page_size;
	st->rctx.scan_cxt = st->scan_cxt;
	st->have_prev = false;
	st->rctx.conn = http_get_conn(st->opts);
	st->rctx.stat = paged_stats_begin(st->opts, estate->es_query_cxt);
	st->wait_fd = -1;
}

/* "packet p1, packet p2" for EXPLAIN: at most ten, then a count. */
static char *
paged_stream_labels(List *streams)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	initStringInfo(&buf);
	if (streams == NIL)
		return pstrdup("none (no row can match)");
	foreach(lc, streams)
	{
		if (++n > 10)
		{
			appendStringInfo(&buf, ", ... (%d in all)", list_length(streams));
			break;
		}
		appendStringInfo(&buf, "%s%s", n > 1 ? ", " : "",
						 ((ResourceStream *) lfirst(lc))->label);
	}
	return buf.data;
}

/* Evaluate the pushed values and start the pager. */
static void
paged_start(ForeignScanState *node, PagedScanState *st)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	List	   *values;
	List	   *streams;
	MemoryContext old;

	values = quals_evaluate(st->res, st->exprstates, st->colnos, st->ops,
							st->kinds, st->groups, econtext, st->scan_cxt);
	old = MemoryContextSwitchTo(st->scan_cxt);
	if (st->res->begin)
		st->res->begin(&st->rctx);
	streams = st->res->make_streams(&st->rctx, values);
	st->pager = pager_begin(st->res, &st->rctx, streams, st->limit,
							st->scan_cxt);
	if (st->pshared)
		pager_set_shared(st->pager, st->pshared);
	MemoryContextSwitchTo(old);
	st->started = true;
	st->have_prev = false;
	st->scans++;
	st->streams += list_length(streams);
	if (st->first_request == NULL)
		st->first_request = MemoryContextStrdup(st->explain_cxt,
												paged_stream_labels(streams));
}

/* Stop the pager, keeping its statistics for EXPLAIN ANALYZE. */
static void
paged_stop(PagedScanState *st)
{
	if (st->pager)
	{
		const PagerStats *s = pager_stats(st->pager);
		int64		total = st->est_key ? pager_known_total(st->pager) : -1;

		/* what the API said the scan selects: the next plan's estimate */
		if (total >= 0)
			paged_estimate_record(st->relid, st->userid, st->est_key, total);

		st->totals.requests += s->requests;
		st->totals.pages += s->pages;
		st->totals.rows += s->rows;
		st->totals.bytes += s->bytes;
		st->totals.wire_bytes += s->wire_bytes;
		st->totals.retries += s->retries;
		st->totals.wait_secs += s->wait_secs;
		if (s->has_total)
		{
			st->totals.has_total = true;
			st->totals.total = s->total;
		}
		pager_end(st->pager);
		st->pager = NULL;
	}
	if (st->scan_cxt)
		MemoryContextReset(st->scan_cxt);
	st->rctx.state = NULL;
	st->started = false;
}

/* Error context: which record of which page a bad value came from. */
static void
paged_row_error_callback(void *arg)
{
	PagedScanState *st = (PagedScanState *) arg;

	if (st->converting)
		errcontext("column \"%s\" of record %d of page %d of %s (%s)",
				   st->converting, st->row.index + 1, st->row.page_no + 1,
				   st->row.stream->label, st->res->operation);
	else
		errcontext("record %d of page %d of %s (%s)",
				   st->row.index + 1, st->row.page_no + 1,
				   st->row.stream->label, st->res->operation);
}

/*
 * The plan relies on the rows coming in the order of the RC_ORDERED column
 * (no Sort above the scan): a row against that order would make the
 * query's answer silently wrong, so it is an ERROR.
 */
static void
paged_check_order(PagedScanState *st)
{
	int			c = st->order_colno;
	const ResourceColumn *col = &st->res->columns[c];
	int			cmp;
	MemoryContext old;

	if (st->nulls[c])
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s returned a row without %s", st->res->operation,
						col->name),
				 errdetail("The plan relies on the rows coming in order of %s.",
						   col->name)));
	if (st->have_prev)
	{
		cmp = DatumGetInt32(FunctionCall2(&st->order_cmp,
										  st->prev_value, st->values[c]));
		if (st->rctx.order > 0 ? cmp > 0 : cmp < 0)
		{
			Oid			outfunc;
			bool		isvarlena;

			getTypeOutputInfo(col->typid, &outfunc, &isvarlena);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("%s returned rows out of order", st->res->operation),
					 errdetail("The rows were asked for in %s order of %s, but %s came after %s.",
							   st->rctx.order > 0 ? "ascending" : "descending",
							   col->name,
							   OidOutputFunctionCall(outfunc, st->values[c]),
							   OidOutputFunctionCall(outfunc, st->prev_value)),
					 errhint("The server did not keep to the sort direction it was asked for; without ORDER BY on %s the rows need no order.",
							 col->name)));
		}
		if (!st->order_typbyval)
			pfree(DatumGetPointer(st->prev_value));
	}
	/* the row context is reset before the next row */
	old = MemoryContextSwitchTo(st->scan_cxt);
	st->prev_value = datumCopy(st->values[c], st->order_typbyval,
							   st->order_typlen);
	MemoryContextSwitchTo(old);
	st->have_prev = true;
}

static TupleTableSlot *
paged_iterate(ForeignScanState *node, PagedScanState *st)
{
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ErrorContextCallback errcb;
	MemoryContext old;
	int			i;

	ExecClearTuple(slot);
	if (!st->started)
		paged_start(node, st);

	if (st->nowait)
	{
		PagerNext	r = pager_next_async(st->pager, &st->row);

		if (r == PAGER_BLOCKED)
			st->blocked = true;
		if (r != PAGER_ROW)
			return slot;
	}
	else if (!pager_next(st->pager, &st->row))
		return slot;

	MemoryContextReset(st->row_cxt);
	old = MemoryContextSwitchTo(st->row_cxt);

	errcb.callback = paged_row_error_callback;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	st->converting = NULL;

	/* fill_row writes wanted columns only (resource.h): all below natts */
	if (st->fill_slot)
	{
		memset(slot->tts_isnull, true, sizeof(bool) * st->natts);
		st->res->fill_row(&st->rctx, st->row.stream, st->row.records,
						  st->row.index, st->want, slot->tts_values,
						  slot->tts_isnull);
		goto stored;
	}
	memset(st->nulls, true, sizeof(bool) * st->res->ncolumns);
	st->res->fill_row(&st->rctx, st->row.stream, st->row.records,
					  st->row.index, st->want, st->values, st->nulls);
	if (st->order_colno >= 0)
		paged_check_order(st);

	for (i = 0; i < st->natts; i++)
	{
		int			colno = st->attr_colno[i];

		if (!st->attr_needed[i] || colno < 0 || st->nulls[colno])
		{
			slot->tts_isnull[i] = true;
			slot->tts_values[i] = (Datum) 0;
			continue;
		}
		slot->tts_isnull[i] = false;
		if (st->convert[i])
		{
			char	   *text;

			st->converting = st->attnames[i];
			text = OutputFunctionCall(&st->out_funcs[i], st->values[colno]);
			slot->tts_values[i] = InputFunctionCall(&st->in_funcs[i], text,
													st->in_ioparams[i],
													st->typmods[i]);
			st->converting = NULL;
		}
		else
			slot->tts_values[i] = st->values[colno];
	}

stored:
	error_context_stack = errcb.previous;
	MemoryContextSwitchTo(old);
	ExecStoreVirtualTuple(slot);
	return slot;
}

static TupleTableSlot *
pagedIterateForeignScan(ForeignScanState *node)
{
	PagedScanState *st = (PagedScanState *) node->fdw_state;
	ErrorContextCallback statcb;
	TupleTableSlot *slot;

	if (st->rctx.stat == NULL)
		return paged_iterate(node, st);

	/* ERRORs of the scan (fetching, parsing, converting) are counted */
	statcb.callback = paged_stats_errcontext;
	statcb.arg = st->rctx.stat;
	statcb.previous = error_context_stack;
	error_context_stack = &statcb;
	slot = paged_iterate(node, st);
	error_context_stack = statcb.previous;
	return slot;
}

static void
pagedReScanForeignScan(ForeignScanState *node)
{
	PagedScanState *st = (PagedScanState *) node->fdw_state;

	/*
	 * Parameters may have changed (nested loop, new cursor position): start
	 * over, evaluating the pushed values again.
	 */
	paged_stop(st);
}

static void
pagedEndForeignScan(ForeignScanState *node)
{
	PagedScanState *st = (PagedScanState *) node->fdw_state;

	if (st == NULL || st->scan_cxt == NULL)
		return;
	paged_stop(st);
}

/* ----------------------------------------------------------------
 *		Async Append
 *
 * Under an Async Append the executor asks each scan for a row without
 * blocking and waits on one descriptor per scan that is waiting.  That
 * descriptor is the epoll set that holds the sockets and timer of the
 * scan's curl multi handle (http_wait_fd), dup'ed per scan because scans
 * of one server share their connection, and a wait set refuses a
 * descriptor twice.  A scan driving the shared connection may complete
 * another scan's page; ConfigureWait then makes the descriptor readable
 * at once (http_wake) so that no scan waits for what already arrived.
 *
 * Rows come from the same pager in the same order as synchronously: the
 * executor only interleaves whole rows of different scans, and an
 * Append's order across its children is unspecified anyway, which is why
 * async_capable can default to true.
 * ----------------------------------------------------------------
 */
static bool
pagedIsForeignPathAsyncCapable(ForeignPath *path)
{
	PagedRelInfo *info = (PagedRelInfo *) path->path.parent->fdw_private;

	return info->opts->async_capable;
}

/*
 * Produce a row for the request if one can be had without waiting: the
 * whole ForeignScan node runs (local conditions, projection), its
 * IterateForeignScan refusing to wait.
 */
static void
paged_async_produce(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	PagedScanState *st = (PagedScanState *) node->fdw_state;
	TupleTableSlot *result;

	st->nowait = true;
	st->blocked = false;
	result = node->ss.ps.ExecProcNodeReal(&node->ss.ps);
	st->nowait = false;
	if (st->blocked)
		ExecAsyncRequestPending(areq);
	else
		ExecAsyncRequestDone(areq, result);
}

static void
pagedForeignAsyncRequest(AsyncRequest *areq)
{
	paged_async_produce(areq);
}

static void
paged_close_wait_fd(void *arg)
{
	PagedScanState *st = (PagedScanState *) arg;

	if (st->wait_fd >= 0)
		close(st->wait_fd);
	st->wait_fd = -1;
	st->wait_fd_cb.func = NULL;	/* the reset unregistered it */
}

static void
pagedForeignAsyncConfigureWait(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	PagedScanState *st = (PagedScanState *) node->fdw_state;
	AppendState *requestor = (AppendState *) areq->requestor;

	int			fd;
	uint32		build;

	Assert(areq->callback_pending && st->pager != NULL);
	fd = http_wait_fd(st->rctx.conn, &build);
	if (st->wait_fd >= 0 && st->wait_build != build)
	{
		/* the connection was rebuilt (ALTER SERVER) since */
		close(st->wait_fd);
		st->wait_fd = -1;
	}
	if (st->wait_fd < 0)
	{
		st->wait_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		st->wait_build = build;
		if (st->wait_fd < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not duplicate a descriptor for an async foreign scan: %m")));
		/* closed with the scan's memory: at the end, rescan or ERROR */
		if (st->wait_fd_cb.func == NULL)
		{
			st->wait_fd_cb.func = paged_close_wait_fd;
			st->wait_fd_cb.arg = st;
			MemoryContextRegisterResetCallback(st->scan_cxt, &st->wait_fd_cb);
		}
	}
	AddWaitEventToSet(requestor->as_eventset, WL_SOCKET_READABLE, st->wait_fd,
					  NULL, areq);
	if (pager_ready(st->pager))
		http_wake(st->rctx.conn);
}

static void
pagedForeignAsyncNotify(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	PagedScanState *st = (PagedScanState *) node->fdw_state;

	http_progress(st->rctx.conn);
	paged_async_produce(areq);
}

/* ----------------------------------------------------------------
 *		Parallel Foreign Scan: the shared state is a PagerShared
 * ----------------------------------------------------------------
 */
/*
 * A scan is parallel-safe only when it is big enough for sharing it out to
 * pay for starting workers: the cost that max_parallel_workers_per_gather
 * workers (and the leader) would save exceeds parallel_setup_cost.
 * PostgreSQL considers Async Append only for an Append that is not
 * parallel-safe, so marking every scan safe would silently turn off the
 * async_capable default for partitioned tables of small scans.  How big the
 * scan is comes from rows_estimate, an earlier scan's total or the
 * defaults (paged_rel_info); the planner then still chooses by cost.
 */
static bool
pagedIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel,
							   RangeTblEntry *rte)
{
	PagedRelInfo *info = paged_rel_info(root, rel, rte);
	int			workers = max_parallel_workers_per_gather;
	double		divisor;
	Cost		startup;
	Cost		total;

	if (workers <= 0)
		return false;
	paged_cost(info, info->base_streams, info->tuples, &startup, &total);
	/* as in paged_add_partial_path */
	divisor = workers;
	if (parallel_leader_participation && 1.0 - 0.3 * workers > 0)
		divisor += 1.0 - 0.3 * workers;
	return (total - startup) * (1.0 - 1.0 / divisor) > parallel_setup_cost;
}

static Size
pagedEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	return sizeof(PagerShared);
}

static void
pagedInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
							  void *coordinate)
{
	PagedScanState *st = (PagedScanState *) node->fdw_state;

	pager_shared_init((PagerShared *) coordinate,
					  pcxt->nworkers + (parallel_leader_participation ? 1 : 0));
	st->pshared = (PagerShared *) coordinate;
}

static void
pagedReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
								void *coordinate)
{
	pager_shared_init((PagerShared *) coordinate,
					  pcxt->nworkers + (parallel_leader_participation ? 1 : 0));
}

static void
pagedInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc,
								 void *coordinate)
{
	PagedScanState *st = (PagedScanState *) node->fdw_state;

	st->pshared = (PagerShared *) coordinate;
}

static bool
paged_has_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return true;
	return expression_tree_walker(node, paged_has_param, context);
}

/*
 * What a plain EXPLAIN can say of the request: when every pushed value is
 * known before execution (no parameter), evaluate them and let the resource
 * describe its streams, e.g. the exact date interval.  Nothing is sent.
 */
static char *
paged_explain_request(ForeignScanState *node, PagedScanState *st)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	ExprContext *econtext;
	List	   *exprstates;
	List	   *values;
	ResourceCtx rctx;

	if (fsplan->fdw_exprs == NIL || paged_has_param((Node *) fsplan->fdw_exprs, NULL))
		return NULL;
	econtext = CreateStandaloneExprContext();
	exprstates = ExecInitExprList(fsplan->fdw_exprs, NULL);
	values = quals_evaluate(st->res, exprstates, st->colnos, st->ops,
							st->kinds, st->groups, econtext, CurrentMemoryContext);
	memset(&rctx, 0, sizeof(rctx));
	rctx.opts = st->opts;
	rctx.page_size = st->page_size;
	rctx.want = st->want;
	rctx.scan_cxt = CurrentMemoryContext;
	rctx.order = st->rctx.order;
	FreeExprContext(econtext, true);
	/* begin() only prepares state; resources authenticate lazily. */
	if (st->res->begin)
		st->res->begin(&rctx);
	return paged_stream_labels(st->res->make_streams(&rctx, values));
}

static void
pagedExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	PagedScanState *st = (PagedScanState *) node->fdw_state;
	List	   *descs = (List *) list_nth(fsplan->fdw_private, PP_DESCS);
	StringInfoData buf;
	ListCell   *lc;

	ExplainPropertyText("Remote Operation", st->res->operation, es);
	if (st->res->describe_endpoint)
		ExplainPropertyText("Remote Endpoint",
							st->res->describe_endpoint(st->opts), es);
	initStringInfo(&buf);
	foreach(lc, descs)
		appendStringInfo(&buf, "%s%s", buf.len ? " AND " : "",
						 paged_cut_value(strVal(lfirst(lc)), PAGED_CONDITION_MAX));
	if (buf.len > 0)
		ExplainPropertyText("Pushed Conditions", buf.data, es);
	ExplainPropertyInteger("Page Size", NULL,
						   intVal(list_nth(fsplan->fdw_private, PP_PAGE_SIZE)), es);
	if (intVal(list_nth(fsplan->fdw_private, PP_LIMIT)) >= 0)
		ExplainPropertyInteger("Pushed Limit", NULL,
							   intVal(list_nth(fsplan->fdw_private, PP_LIMIT)), es);
	if (st->order_colno >= 0)
		ExplainPropertyText("Remote Order",
							psprintf("%s %s", st->res->columns[st->order_colno].name,
									 st->rctx.order > 0 ? "ASC" : "DESC"), es);

	if (es->verbose)
	{
		StringInfoData cols;
		int			i;

		/* Only these are converted; "document" is never built otherwise. */
		initStringInfo(&cols);
		for (i = 0; i < st->res->ncolumns; i++)
		{
			if (st->want[i])
				appendStringInfo(&cols, "%s%s", cols.len ? ", " : "",
								 st->res->columns[i].name);
		}
		ExplainPropertyText("Remote Columns", cols.len ? cols.data : "none", es);
		ExplainPropertyText("Rows Estimate",
							psprintf("%s (%s)",
									 strVal(list_nth(fsplan->fdw_private, PP_EST_ROWS)),
									 paged_estimate_source_text(intVal(list_nth(fsplan->fdw_private,
																				PP_EST_SOURCE)))),
							es);
	}

	if (!es->analyze)
	{
		char	   *request = paged_explain_request(node, st);

		if (request)
			ExplainPropertyText("Remote Request", request, es);
	}
	else if (st->first_request)
	{
		ExplainPropertyText(st->scans > 1 ? "First Remote Request" : "Remote Request",
							st->first_request, es);
		if (st->scans > 1)
			ExplainPropertyInteger("Remote Streams", NULL, st->streams, es);
	}

	if (es->analyze)
	{
		PagerStats	s = st->totals;

		if (st->pager)
		{
			const PagerStats *cur = pager_stats(st->pager);

			s.requests += cur->requests;
			s.pages += cur->pages;
			s.rows += cur->rows;
			s.bytes += cur->bytes;
			s.wire_bytes += cur->wire_bytes;
			s.retries += cur->retries;
			s.wait_secs += cur->wait_secs;
			if (cur->has_total)
			{
				s.has_total = true;
				s.total = cur->total;
			}
		}
		ExplainPropertyInteger("Remote Requests", NULL, s.requests, es);
		ExplainPropertyInteger("Remote Pages", NULL, s.pages, es);
		ExplainPropertyInteger("Remote Rows", NULL, s.rows, es);
		ExplainPropertyInteger("Remote Bytes", NULL, s.bytes, es);
		ExplainPropertyInteger("Remote Bytes on Wire", NULL, s.wire_bytes, es);
		ExplainPropertyInteger("Retries", NULL, s.retries, es);
		if (s.has_total)
			ExplainPropertyInteger("Remote Total Count", NULL, s.total, es);
		if (es->timing)
			ExplainPropertyFloat("Network Wait", "ms", s.wait_secs * 1000.0, 3, es);
	}
}

/* ----------------------------------------------------------------
 * IMPORT FOREIGN SCHEMA
 *
 * The remote schemas are the APIs ("diadoc", "mercury"): each resource of
 * the API becomes one table named paged_resource_import_name(), with the
 * resource's columns and types and the option "resource".  The resource
 * table is the only source, so resources added later are imported without
 * any change here.
 * ----------------------------------------------------------------
 */

/* "a, b, c": the distinct APIs of the resource table, in its order. */
static char *
paged_import_schema_names(void)
{
	StringInfoData buf;
	int			n = paged_resource_count();
	int			i,
				j;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		const char *api = paged_resource_get(i)->api;

		for (j = 0; j < i; j++)
			if (strcmp(paged_resource_get(j)->api, api) == 0)
				break;
		if (j < i)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", api);
	}
	return buf.data;
}

/* "a, b, c": the tables of one remote schema. */
static char *
paged_import_table_names(const char *api)
{
	StringInfoData buf;
	int			n = paged_resource_count();
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		const PagedResource *res = paged_resource_get(i);

		if (strcmp(res->api, api) == 0)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
							 paged_resource_import_name(res));
	}
	return buf.data;
}

/* Does the remote schema "api" have a table of that name? */
static bool
paged_import_has_table(const char *api, const char *relname)
{
	int			n = paged_resource_count();
	int			i;

	for (i = 0; i < n; i++)
	{
		const PagedResource *res = paged_resource_get(i);

		if (strcmp(res->api, api) == 0 &&
			strcmp(paged_resource_import_name(res), relname) == 0)
			return true;
	}
	return false;
}

static List *
pagedImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	const char *api = NULL;
	const char *page_size = NULL;
	bool		import_not_null = true;
	bool		seen_not_null = false;
	List	   *table_opts = NIL;
	List	   *commands = NIL;
	ListCell   *lc;
	int			n = paged_resource_count();
	int			i;

	/*
	 * import_not_null as in postgres_fdw; every other option is a foreign
	 * table option given to each imported table, validated here once so
	 * that a bad one fails before anything is created.
	 */
	foreach(lc, stmt->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "import_not_null") == 0)
		{
			if (seen_not_null)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" specified more than once",
								def->defname)));
			seen_not_null = true;
			import_not_null = defGetBoolean(def);
		}
		else if (strcmp(def->defname, "resource") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"resource\" cannot be given to IMPORT FOREIGN SCHEMA"),
					 errdetail("Each imported table gets the resource it is made for."),
					 errhint("Use LIMIT TO (...) to import only some tables.")));
		else
		{
			table_opts = lappend(table_opts, def);
			if (strcmp(def->defname, "page_size") == 0)
				page_size = defGetString(def);
		}
	}
	paged_validate_options(table_opts, ForeignTableRelationId);

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "api") == 0)
			api = defGetString(def);
		else if (strcmp(def->defname, "page_size") == 0 && page_size == NULL)
			page_size = defGetString(def);
	}

	/* The remote schema must be an API, and the server's. */
	for (i = 0; i < n; i++)
		if (strcmp(paged_resource_get(i)->api, stmt->remote_schema) == 0)
			break;
	if (i == n)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("remote schema \"%s\" does not exist",
						stmt->remote_schema),
				 errdetail("The remote schemas of paged_fdw are its APIs: %s.",
						   paged_import_schema_names()),
				 api != NULL ?
				 errhint("Server \"%s\" has api '%s': import the remote schema \"%s\" from it.",
						 server->servername, api, api) : 0));
	if (api == NULL || strcmp(api, stmt->remote_schema) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("remote schema \"%s\" does not exist on server \"%s\"",
						stmt->remote_schema, server->servername),
				 api != NULL ?
				 errdetail("Server \"%s\" has api '%s', whose remote schema is \"%s\".",
						   server->servername, api, api) : 0,
				 errhint("Import \"%s\" from a server with api '%s'.",
						 stmt->remote_schema, stmt->remote_schema)));

	/*
	 * A name in LIMIT TO or EXCEPT that is no table of the schema is most
	 * likely a typo: say so rather than import nothing or everything.
	 */
	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = (RangeVar *) lfirst(lc);

		if (!paged_import_has_table(api, rv->relname))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("remote schema \"%s\" has no table \"%s\"",
							api, rv->relname),
					 errdetail("Its tables are: %s.",
							   paged_import_table_names(api))));
	}

	for (i = 0; i < n; i++)
	{
		const PagedResource *res = paged_resource_get(i);
		char	   *relname;
		bool		listed = false;
		StringInfoData buf;
		int			c;

		if (strcmp(res->api, api) != 0)
			continue;
		relname = paged_resource_import_name(res);

		/* core filters our statements again by these very names */
		foreach(lc, stmt->table_list)
			if (strcmp(((RangeVar *) lfirst(lc))->relname, relname) == 0)
				listed = true;
		if ((stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !listed) ||
			(stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && listed))
			continue;

		/*
		 * A page size (the option's or the server's, both validated) larger
		 * than the resource takes would make a table no query can read:
		 * CREATE FOREIGN TABLE leaves that to planning, here we know it now.
		 */
		(void) paged_check_resource(api, res->name,
									page_size ? pg_strtoint32(page_size) : 0,
									relname);

		/*
		 * Types schema-qualified, so that a type of the same name earlier in
		 * the search_path cannot take their place.  NOT NULL where the
		 * resource promises a value in every row: the planner already
		 * relies on that promise (quals.c answers "IS NULL" with no rows).
		 */
		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (",
						 quote_identifier(relname));
		for (c = 0; c < res->ncolumns; c++)
		{
			const ResourceColumn *col = &res->columns[c];

			appendStringInfo(&buf, "%s\n  %s %s%s", c > 0 ? "," : "",
							 quote_identifier(col->name),
							 format_type_be_qualified(col->typid),
							 import_not_null && col->notnull ? " NOT NULL" : "");
		}
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (resource %s",
						 quote_identifier(server->servername),
						 quote_literal_cstr(res->name));
		foreach(lc, table_opts)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			appendStringInfo(&buf, ", %s %s", quote_identifier(def->defname),
							 quote_literal_cstr(defGetString(def)));
		}
		appendStringInfoChar(&buf, ')');
		commands = lappend(commands, buf.data);
	}
	return commands;
}

Datum
paged_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = pagedGetForeignRelSize;
	routine->GetForeignPaths = pagedGetForeignPaths;
	routine->GetForeignPlan = pagedGetForeignPlan;
	routine->BeginForeignScan = pagedBeginForeignScan;
	routine->IterateForeignScan = pagedIterateForeignScan;
	routine->ReScanForeignScan = pagedReScanForeignScan;
	routine->EndForeignScan = pagedEndForeignScan;
	routine->ExplainForeignScan = pagedExplainForeignScan;
	routine->IsForeignPathAsyncCapable = pagedIsForeignPathAsyncCapable;
	routine->IsForeignScanParallelSafe = pagedIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = pagedEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = pagedInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = pagedReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = pagedInitializeWorkerForeignScan;
	routine->ForeignAsyncRequest = pagedForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = pagedForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = pagedForeignAsyncNotify;
	routine->ImportForeignSchema = pagedImportForeignSchema;

	PG_RETURN_POINTER(routine);
}

Datum
paged_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);

	paged_validate_options(options, catalog);
	PG_RETURN_VOID();
}
