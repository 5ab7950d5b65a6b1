/*-------------------------------------------------------------------------
 * quals.h
 *		Pushable conditions: recognise them at plan time, evaluate them at
 *		scan start.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_QUALS_H
#define PAGED_QUALS_H

#include "postgres.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "resource.h"

/*
 * How one value is turned into the resource column's type at scan start
 * (low byte), plus flags.
 */
typedef enum QualConv
{
	QCONV_NONE,					/* already of the column's type */
	QCONV_NAME_TEXT,			/* name -> text (text = name operators) */
	QCONV_DATE_TSTZ,			/* date -> timestamptz, as date/timestamptz
								 * comparisons do (session TimeZone) */
	QCONV_TS_TSTZ				/* timestamp -> timestamptz, likewise */
} QualConv;

#define QCONV_MASK		0xff
#define QV_ARRAY		0x100	/* the value is an array: col = ANY (value) */
#define QV_WIDEN		0x200	/* a bound on a column declared date or
								 * timestamp over a timestamptz: the request
								 * is widened, the clause rechecked */

/*
 * A condition that can be sent to the API: "column op value(s)".  With
 * several values, op PAGED_OP_IN is their union (an OR of equalities and
 * IN lists); a lower bound (GE) is the least of them and an upper bound
 * (LE) the greatest (an OR of ranges, e.g. BETWEEN SYMMETRIC).
 */
typedef struct PagedQualInfo
{
	int			colno;			/* resource column */
	PagedOp		op;
	List	   *values;			/* Exprs: the side that is not our column */
	List	   *kinds;			/* IntList: QualConv | QV_* per value */
	bool		recheck;		/* the clause must also be evaluated locally */
} PagedQualInfo;

/*
 * attr_colno[attno - 1] is the resource column of each attribute (-1 for a
 * dropped attribute).  Returns the conditions "clause" pushes (a list of
 * PagedQualInfo; an OR of ranges gives a lower and an upper bound), or NIL
 * when nothing of it can be sent.
 */
extern List *quals_classify(PlannerInfo *root, RelOptInfo *baserel,
							const PagedResource *res, const int *attr_colno,
							Expr *clause);

/* "col IS NOT NULL" on a column that is never NULL: nothing to check. */
extern bool quals_always_true(RelOptInfo *baserel, const PagedResource *res,
							  const int *attr_colno, Expr *clause);

/* "packet_id = ANY ('{a,b}')"-like text for EXPLAIN. */
extern char *quals_describe(PlannerInfo *root, const PagedResource *res,
							const PagedQualInfo *q);

/*
 * Evaluate the values of pushed conditions into PushedValue structs
 * allocated in "cxt".  The lists run parallel to the ExprStates: column,
 * op, QualConv | QV_* and the index of the condition the value belongs to
 * (consecutive values of one condition are combined).
 */
extern List *quals_evaluate(const PagedResource *res, List *exprstates,
							List *colnos, List *ops, List *kinds,
							List *groups, ExprContext *econtext,
							MemoryContext cxt);

#endif							/* PAGED_QUALS_H */
