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

/* A clause that can be sent to the API: "column op value". */
typedef struct PagedQualInfo
{
	int			colno;			/* resource column */
	PagedOp		op;
	Expr	   *value;			/* the side that is not our column */
} PagedQualInfo;

/*
 * attr_colno[attno - 1] is the resource column of each attribute (-1 for a
 * dropped attribute).  Returns true and fills *out when "clause" is a
 * condition on one of our columns the resource can push.  "outer_relids",
 * when not NULL, receives the other relations the value depends on (join
 * parameters).
 */
extern bool quals_classify(PlannerInfo *root, RelOptInfo *baserel,
						   const PagedResource *res, const int *attr_colno,
						   Expr *clause, PagedQualInfo *out);

/* "packet_id = ANY ('{a,b}')"-like text for EXPLAIN. */
extern char *quals_describe(PlannerInfo *root, const PagedResource *res,
							const PagedQualInfo *q);

/*
 * Evaluate the value expressions of pushed conditions (ExprStates in the
 * same order as colnos/ops) into PushedValue structs allocated in "cxt".
 */
extern List *quals_evaluate(const PagedResource *res, List *exprstates,
							List *colnos, List *ops, ExprContext *econtext,
							MemoryContext cxt);

#endif							/* PAGED_QUALS_H */
