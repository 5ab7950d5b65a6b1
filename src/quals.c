/*-------------------------------------------------------------------------
 * quals.c
 *		Recognise conditions the remote API can answer, and evaluate their
 *		values at scan start.
 *
 * A pushable condition is "column op value" (either side), "column =
 * ANY(array)", "column IS NOT DISTINCT FROM value" on a column that is never
 * NULL, or an OR of these (see quals_classify_or), where the operator is in
 * the btree family of the column's type and
 * the value holds no Var of the scanned relation and nothing volatile:
 * constants, parameters ($1, initplan results, nested-loop parameters from
 * other relations) and stable expressions such as now() - interval '1 day'.
 * They are evaluated once per scan (and again on rescan).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "quals.h"

/* Our column, possibly under a binary-compatible relabel (varchar -> text). */
static Var *
quals_our_var(Node *node, RelOptInfo *baserel)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node && IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varno == baserel->relid && var->varlevelsup == 0 &&
			var->varattno > 0)
			return var;
	}
	return NULL;
}

/* A value we can compute before the scan: no own Var, nothing volatile. */
static bool
quals_is_value(Node *node, RelOptInfo *baserel)
{
	Relids		relids = pull_varnos(NULL, node);

	if (bms_is_member(baserel->relid, relids))
		return false;
	if (contain_volatile_functions(node))
		return false;
	/* Aggregates, window functions or SRFs cannot appear here anyway. */
	return true;
}

static bool
quals_strategy_op(int strategy, bool commuted, PagedOp *op)
{
	switch (strategy)
	{
		case BTEqualStrategyNumber:
			*op = PAGED_OP_EQ;
			return true;
		case BTLessStrategyNumber:
			*op = commuted ? PAGED_OP_GT : PAGED_OP_LT;
			return true;
		case BTLessEqualStrategyNumber:
			*op = commuted ? PAGED_OP_GE : PAGED_OP_LE;
			return true;
		case BTGreaterStrategyNumber:
			*op = commuted ? PAGED_OP_LT : PAGED_OP_GT;
			return true;
		case BTGreaterEqualStrategyNumber:
			*op = commuted ? PAGED_OP_LE : PAGED_OP_GE;
			return true;
	}
	return false;
}

/*
 * Can "var op value" (commuted: "value op var") be sent, and how is the
 * value converted?  The operator must belong to the btree family of the
 * resource column's type; cross-type members are accepted where the value
 * converts to the column's type exactly as the operator itself compares
 * (name -> text, date/timestamp -> timestamptz).  A column declared date
 * or timestamp over a timestamptz resource column converts each row
 * through text in the session TimeZone: bounds on it are widened and the
 * clause rechecked, so only a rechecked range column takes them.
 */
static bool
quals_match(Var *var, Oid opno, Oid inputcollid, bool commuted,
			const PagedResource *res, const int *attr_colno,
			int *colno_out, PagedOp *op_out, int *kind_out)
{
	int			colno = attr_colno[var->varattno - 1];
	const ResourceColumn *col;
	TypeCacheEntry *tce;
	bool		widen = false;
	int			strategy;
	Oid			lefttype;
	Oid			righttype;
	Oid			coltype;
	Oid			valtype;
	int			kind;
	PagedOp		op;

	if (colno < 0)
		return false;
	col = &res->columns[colno];
	if (var->vartype != col->typid && !IsBinaryCoercible(var->vartype, col->typid))
	{
		if (col->typid != TIMESTAMPTZOID || !col->recheck ||
			!(col->push & RC_PUSH_RANGE) ||
			(var->vartype != DATEOID && var->vartype != TIMESTAMPOID))
			return false;
		widen = true;
	}

	/*
	 * Equality under a nondeterministic collation is not the API's
	 * byte-wise equality of keys: keep such conditions local.
	 */
	if (OidIsValid(inputcollid) && !get_collation_isdeterministic(inputcollid))
		return false;

	tce = lookup_type_cache(col->typid, TYPECACHE_BTREE_OPFAMILY);
	if (!OidIsValid(tce->btree_opf) || !op_in_opfamily(opno, tce->btree_opf))
		return false;
	get_op_opfamily_properties(opno, tce->btree_opf, false, &strategy,
							   &lefttype, &righttype);
	coltype = commuted ? righttype : lefttype;
	valtype = commuted ? lefttype : righttype;
	if (coltype != (widen ? var->vartype : col->typid))
		return false;

	if (valtype == col->typid)
		kind = QCONV_NONE;
	else if (col->typid == TEXTOID && valtype == NAMEOID)
		kind = QCONV_NAME_TEXT;
	else if (col->typid == TIMESTAMPTZOID && valtype == DATEOID)
		kind = QCONV_DATE_TSTZ;
	else if (col->typid == TIMESTAMPTZOID && valtype == TIMESTAMPOID)
		kind = QCONV_TS_TSTZ;
	else
		return false;

	if (!quals_strategy_op(strategy, commuted, &op))
		return false;
	if (widen)
		kind |= QV_WIDEN;
	else if (op == PAGED_OP_EQ && !(col->push & RC_PUSH_EQ))
		return false;
	if ((op != PAGED_OP_EQ || widen) && !(col->push & RC_PUSH_RANGE))
		return false;

	*colno_out = colno;
	*op_out = op;
	*kind_out = kind;
	return true;
}

static PagedQualInfo *
quals_make(int colno, PagedOp op, Node *value, int kind, bool recheck)
{
	PagedQualInfo *q = palloc0(sizeof(PagedQualInfo));

	q->colno = colno;
	q->op = op;
	q->values = list_make1(value);
	q->kinds = list_make1_int(kind);
	q->recheck = recheck || (kind & QV_WIDEN) != 0;
	return q;
}

/* One comparison, IN list, IS NOT DISTINCT FROM or IS NULL. */
static PagedQualInfo *
quals_classify_simple(RelOptInfo *baserel, const PagedResource *res,
					  const int *attr_colno, Expr *clause)
{
	bool		not_distinct = false;

	/* "a IS NOT DISTINCT FROM b" is NOT (a IS DISTINCT FROM b) */
	if (is_notclause(clause) && IsA(get_notclausearg(clause), DistinctExpr))
	{
		clause = get_notclausearg(clause);
		not_distinct = true;
	}

	if (IsA(clause, OpExpr) || IsA(clause, DistinctExpr))
	{
		OpExpr	   *oe = (OpExpr *) clause;
		Node	   *left;
		Node	   *right;
		Var		   *var;
		Node	   *value;
		bool		commuted = false;
		int			colno;
		int			kind;
		PagedOp		op;

		if (list_length(oe->args) != 2)
			return NULL;
		/* a bare IS DISTINCT FROM is an inequality */
		if (IsA(clause, DistinctExpr) && !not_distinct)
			return NULL;
		left = linitial(oe->args);
		right = lsecond(oe->args);
		if ((var = quals_our_var(left, baserel)) != NULL)
			value = right;
		else if ((var = quals_our_var(right, baserel)) != NULL)
		{
			value = left;
			commuted = true;
		}
		else
			return NULL;

		if (!quals_is_value(value, baserel) ||
			!quals_match(var, oe->opno, oe->inputcollid, commuted, res,
						 attr_colno, &colno, &op, &kind))
			return NULL;

		/*
		 * IS NOT DISTINCT FROM is equality that also matches NULL with
		 * NULL: the same as "=" only on a column that is never NULL (a
		 * NULL value then matches no row, as "=" does).
		 */
		if (not_distinct &&
			(op != PAGED_OP_EQ || (kind & QV_WIDEN) || !res->columns[colno].notnull))
			return NULL;

		return quals_make(colno, op, value, kind, false);
	}

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;
		Var		   *var;
		Node	   *value;
		int			colno;
		int			kind;
		PagedOp		op;

		/* Only "col = ANY(array)": that is what IN (...) becomes too. */
		if (!sa->useOr || list_length(sa->args) != 2)
			return NULL;
		var = quals_our_var(linitial(sa->args), baserel);
		value = lsecond(sa->args);
		if (var == NULL || !quals_is_value(value, baserel))
			return NULL;
		if (!quals_match(var, sa->opno, sa->inputcollid, false, res,
						 attr_colno, &colno, &op, &kind))
			return NULL;
		if (op != PAGED_OP_EQ || (kind & QV_WIDEN) ||
			!(res->columns[colno].push & RC_PUSH_IN))
			return NULL;
		return quals_make(colno, PAGED_OP_IN, value, kind | QV_ARRAY, false);
	}

	/* "col IS NULL" on a column that is never NULL: no row matches */
	if (IsA(clause, NullTest) && ((NullTest *) clause)->nulltesttype == IS_NULL &&
		!((NullTest *) clause)->argisrow)
	{
		Var		   *var = quals_our_var((Node *) ((NullTest *) clause)->arg, baserel);
		int			colno;

		if (var == NULL || (colno = attr_colno[var->varattno - 1]) < 0)
			return NULL;
		if (!res->columns[colno].notnull || !(res->columns[colno].push & RC_PUSH_EQ) ||
			(var->vartype != res->columns[colno].typid &&
			 !IsBinaryCoercible(var->vartype, res->columns[colno].typid)))
			return NULL;
		return quals_make(colno, PAGED_OP_EQ,
						  (Node *) makeNullConst(res->columns[colno].typid, -1,
												 InvalidOid),
						  QCONV_NONE, false);
	}

	return NULL;
}

bool
quals_always_true(RelOptInfo *baserel, const PagedResource *res,
				  const int *attr_colno, Expr *clause)
{
	NullTest   *nt = (NullTest *) clause;
	Var		   *var;
	int			colno;

	if (!IsA(clause, NullTest) || nt->nulltesttype != IS_NOT_NULL || nt->argisrow)
		return false;
	var = quals_our_var((Node *) nt->arg, baserel);
	if (var == NULL || (colno = attr_colno[var->varattno - 1]) < 0)
		return false;
	return res->columns[colno].notnull &&
		(var->vartype == res->columns[colno].typid ||
		 IsBinaryCoercible(var->vartype, res->columns[colno].typid));
}

static List *
quals_and_args(Expr *clause)
{
	if (is_andclause(clause))
		return ((BoolExpr *) clause)->args;
	return list_make1(clause);
}

static List *quals_classify_clause(RelOptInfo *baserel, const PagedResource *res,
								   const int *attr_colno, Expr *clause);

/* A constant NULL or false, or an AND with one: never true in a qual. */
static bool
quals_never_true(Expr *clause)
{
	ListCell   *lc;

	foreach(lc, quals_and_args(clause))
	{
		Const	   *c = (Const *) lfirst(lc);

		if (IsA(c, Const) && (c->constisnull || !DatumGetBool(c->constvalue)))
			return true;
	}
	return false;
}

/* An equality or IN list on colno among an OR arm's parts, or NULL. */
static PagedQualInfo *
quals_arm_key(List *parts, int colno)
{
	ListCell   *lc;

	foreach(lc, parts)
	{
		PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);

		if (q->colno == colno &&
			(q->op == PAGED_OP_EQ || q->op == PAGED_OP_IN) &&
			!(linitial_int(q->kinds) & QV_WIDEN))
			return q;
	}
	return NULL;
}

/*
 * An OR.  Two shapes are sent:
 *  - every arm has "col = value" or "col = ANY (array)" on a column: the
 *    union of the values, for each such column (exact when every arm is just
 *    that; otherwise the rows are a superset, and the OR is rechecked);
 *  - on a rechecked range column, every arm has a lower (upper) bound on
 *    it: the least lower (greatest upper) bound of all arms is a condition
 *    every matching row meets.  BETWEEN SYMMETRIC is such an OR.
 */
static List *
quals_classify_or(RelOptInfo *baserel, const PagedResource *res,
				  const int *attr_colno, BoolExpr *or)
{
	List	   *arms = NIL;		/* per arm: List of its pushable parts */
	ListCell   *lc;
	ListCell   *la;
	bool		exact = true;
	int			colno = -1;
	List	   *result = NIL;
	PagedQualInfo *lower;
	PagedQualInfo *upper;
	bool		lower_ok = true;
	bool		upper_ok = true;

	foreach(lc, or->args)
	{
		Expr	   *arm = (Expr *) lfirst(lc);
		List	   *parts = NIL;
		ListCell   *lp;

		/* "col = NULL::name" folds to NULL: such an arm adds no row */
		if (quals_never_true(arm))
			continue;
		foreach(lp, quals_and_args(arm))
		{
			/* a conjunct may itself be an OR: (a OR b) AND box_id = c */
			parts = list_concat(parts,
								quals_classify_clause(baserel, res, attr_colno,
													  (Expr *) lfirst(lp)));
		}
		if (parts == NIL)
			return NIL;
		/* anything besides the one key condition makes the union wider */
		if (is_andclause(arm) || list_length(parts) != 1 ||
			((PagedQualInfo *) linitial(parts))->recheck)
			exact = false;
		arms = lappend(arms, parts);
	}
	if (arms == NIL)
		return NIL;

	/* The union form: a key column every arm has an equality on. */
	foreach(lc, (List *) linitial(arms))
	{
		PagedQualInfo *q0 = (PagedQualInfo *) lfirst(lc);
		PagedQualInfo *u;

		if ((q0->op != PAGED_OP_EQ && q0->op != PAGED_OP_IN) ||
			!(res->columns[q0->colno].push & RC_PUSH_IN) ||
			quals_arm_key((List *) linitial(arms), q0->colno) != q0)
			continue;
		u = palloc0(sizeof(PagedQualInfo));
		u->colno = q0->colno;
		u->op = PAGED_OP_IN;
		u->recheck = !exact;
		foreach(la, arms)
		{
			PagedQualInfo *q = quals_arm_key((List *) lfirst(la), q0->colno);

			if (q == NULL)
				break;
			u->values = list_concat(u->values, q->values);
			u->kinds = list_concat(u->kinds, q->kinds);
		}
		if (la == NULL)
			result = lappend(result, u);
	}
	/* every key column the arms share: (box, packet) pairs are asked for */
	if (result != NIL)
		return result;

	/* The bounds form: the column of a bound in the first arm. */
	foreach(lc, (List *) linitial(arms))
	{
		PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);

		if (res->columns[q->colno].recheck &&
			(res->columns[q->colno].push & RC_PUSH_RANGE) &&
			res->columns[q->colno].typid == TIMESTAMPTZOID &&
			q->op != PAGED_OP_IN)
		{
			colno = q->colno;
			break;
		}
	}
	if (colno < 0)
		return NIL;

	lower = palloc0(sizeof(PagedQualInfo));
	lower->colno = colno;
	lower->op = PAGED_OP_GE;
	lower->recheck = true;
	upper = palloc0(sizeof(PagedQualInfo));
	*upper = *lower;
	upper->op = PAGED_OP_LE;
	foreach(la, arms)
	{
		bool		has_lower = false;
		bool		has_upper = false;

		foreach(lc, (List *) lfirst(la))
		{
			PagedQualInfo *q = (PagedQualInfo *) lfirst(lc);

			if (q->colno != colno)
				continue;
			if (q->op == PAGED_OP_EQ || q->op == PAGED_OP_GE || q->op == PAGED_OP_GT)
			{
				lower->values = list_concat(lower->values, q->values);
				lower->kinds = list_concat(lower->kinds, q->kinds);
				has_lower = true;
			}
			if (q->op == PAGED_OP_EQ || q->op == PAGED_OP_LE || q->op == PAGED_OP_LT)
			{
				upper->values = list_concat(upper->values, q->values);
				upper->kinds = list_concat(upper->kinds, q->kinds);
				has_upper = true;
			}
		}
		/* an arm without a lower bound leaves the union without one */
		lower_ok = lower_ok && has_lower;
		upper_ok = upper_ok && has_upper;
		if (!lower_ok && !upper_ok)
			return NIL;
	}
	if (lower_ok)
		result = lappend(result, lower);
	if (upper_ok)
		result = lappend(result, upper);
	return result;
}

static List *
quals_classify_clause(RelOptInfo *baserel, const PagedResource *res,
					  const int *attr_colno, Expr *clause)
{
	PagedQualInfo *q;

	if (is_orclause(clause))
		return quals_classify_or(baserel, res, attr_colno, (BoolExpr *) clause);
	q = quals_classify_simple(baserel, res, attr_colno, clause);
	return q ? list_make1(q) : NIL;
}

List *
quals_classify(PlannerInfo *root, RelOptInfo *baserel,
			   const PagedResource *res, const int *attr_colno,
			   Expr *clause)
{
	return quals_classify_clause(baserel, res, attr_colno, clause);
}

static const char *
quals_op_text(PagedOp op)
{
	switch (op)
	{
		case PAGED_OP_EQ:
			return "=";
		case PAGED_OP_IN:
			return "= ANY";
		case PAGED_OP_LT:
			return "<";
		case PAGED_OP_LE:
			return "<=";
		case PAGED_OP_GT:
			return ">";
		case PAGED_OP_GE:
			return ">=";
	}
	return "?";
}

/* Names Vars of other relations as "alias.column" for EXPLAIN. */
static bool
quals_has_foreign_var(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return true;
	return expression_tree_walker(node, quals_has_foreign_var, context);
}

static bool
quals_has_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, quals_has_exec_param, context);
}

static char *
quals_value_text(PlannerInfo *root, Node *value)
{
	while (value && IsA(value, RelabelType))
		value = (Node *) ((RelabelType *) value)->arg;

	if (IsA(value, Var))
	{
		Var		   *var = (Var *) value;
		RangeTblEntry *rte = planner_rt_fetch(var->varno, root);

		return psprintf("%s.%s", quote_identifier(rte->eref->aliasname),
						quote_identifier(get_rte_attribute_name(rte, var->varattno)));
	}
	if (quals_has_foreign_var(value, NULL))
		return pstrdup("(expression over the outer relation)");
	if (IsA(value, Param) && ((Param *) value)->paramkind == PARAM_EXEC)
		return pstrdup("(value of a subquery or outer query)");
	if (quals_has_exec_param(value, NULL))
		/* ruleutils cannot name an initplan's output without a plan tree */
		return pstrdup("(expression evaluated at scan start)");
	return deparse_expression(value, NIL, false, false);
}

char *
quals_describe(PlannerInfo *root, const PagedResource *res,
			   const PagedQualInfo *q)
{
	const char *name = res->columns[q->colno].name;
	StringInfoData buf;
	StringInfoData scalars;
	ListCell   *lv;
	ListCell   *lk;
	int			narrays = 0;

	if (list_length(q->values) == 1)
	{
		char	   *vtext = quals_value_text(root, linitial(q->values));

		if (q->op == PAGED_OP_IN)
			return psprintf("%s = ANY (%s)", name, vtext);
		return psprintf("%s %s %s", name, quals_op_text(q->op), vtext);
	}

	initStringInfo(&buf);
	if (q->op != PAGED_OP_IN)
	{
		/* the bounds of an OR: the least lower or greatest upper one */
		appendStringInfo(&buf, "%s %s %s(", name, quals_op_text(q->op),
						 q->op == PAGED_OP_GE || q->op == PAGED_OP_GT ?
						 "LEAST" : "GREATEST");
		foreach(lv, q->values)
			appendStringInfo(&buf, "%s%s", foreach_current_index(lv) ? ", " : "",
							 quals_value_text(root, lfirst(lv)));
		appendStringInfoChar(&buf, ')');
		return buf.data;
	}

	/* an OR of equalities and IN lists: "col IN (a, b) OR col = ANY (arr)" */
	initStringInfo(&scalars);
	forboth(lv, q->values, lk, q->kinds)
	{
		char	   *vtext = quals_value_text(root, lfirst(lv));

		if (lfirst_int(lk) & QV_ARRAY)
		{
			appendStringInfo(&buf, "%s%s = ANY (%s)", narrays ? " OR " : "",
							 name, vtext);
			narrays++;
		}
		else
			appendStringInfo(&scalars, "%s%s", scalars.len ? ", " : "", vtext);
	}
	if (scalars.len == 0)
		return buf.data;
	return psprintf("%s IN (%s)%s%s", name, scalars.data,
					narrays ? " OR " : "", buf.data);
}

/* The largest difference a session TimeZone makes between the two. */
#define QUALS_WIDEN_USECS	(3 * USECS_PER_DAY)

/* One value of the value's type as the column's type. */
static Datum
quals_convert(Datum d, int kind, Oid typid, int16 typlen, bool typbyval)
{
	int			overflow = 0;
	TimestampTz ts;

	switch (kind & QCONV_MASK)
	{
		case QCONV_NAME_TEXT:
			return CStringGetTextDatum(NameStr(*DatumGetName(d)));
		case QCONV_DATE_TSTZ:
			/* out of range: beyond every finite timestamptz, as date_cmp_timestamptz */
			ts = date2timestamptz_opt_overflow(DatumGetDateADT(d), &overflow);
			break;
		case QCONV_TS_TSTZ:
			ts = timestamp2timestamptz_opt_overflow(DatumGetTimestamp(d), &overflow);
			break;
		default:
			return datumCopy(d, typbyval, typlen);
	}
	if (overflow > 0)
		TIMESTAMP_NOEND(ts);
	else if (overflow < 0)
		TIMESTAMP_NOBEGIN(ts);
	return TimestampTzGetDatum(ts);
}

/* The element type an array value of this kind holds. */
static Oid
quals_value_type(int kind, Oid coltype)
{
	switch (kind & QCONV_MASK)
	{
		case QCONV_NAME_TEXT:
			return NAMEOID;
		case QCONV_DATE_TSTZ:
			return DATEOID;
		case QCONV_TS_TSTZ:
			return TIMESTAMPOID;
	}
	return coltype;
}

/* Move a timestamptz bound by "delta" (infinities stay). */
static Datum
quals_widen(Datum d, int64 delta)
{
	TimestampTz ts = DatumGetTimestampTz(d);

	if (TIMESTAMP_NOT_FINITE(ts))
		return d;
	if ((delta < 0 && ts < MIN_TIMESTAMP - delta) ||
		(delta > 0 && ts > END_TIMESTAMP - 1 - delta))
	{
		if (delta < 0)
			TIMESTAMP_NOBEGIN(ts);
		else
			TIMESTAMP_NOEND(ts);
		return TimestampTzGetDatum(ts);
	}
	return TimestampTzGetDatum(ts + delta);
}

static PushedValue *
quals_new_value(int colno, PagedOp op, int max)
{
	PushedValue *pv = palloc0(sizeof(PushedValue));

	pv->colno = colno;
	pv->op = op;
	pv->values = palloc(sizeof(Datum) * Max(max, 1));
	return pv;
}

List *
quals_evaluate(const PagedResource *res, List *exprstates, List *colnos,
			   List *ops, List *kinds, List *groups, ExprContext *econtext,
			   MemoryContext cxt)
{
	List	   *result = NIL;
	int			n = list_length(exprstates);
	int			i = 0;

	while (i < n)
	{
		int			colno = list_nth_int(colnos, i);
		PagedOp		op = (PagedOp) list_nth_int(ops, i);
		int			group = list_nth_int(groups, i);
		Oid			typid = res->columns[colno].typid;
		int16		typlen;
		bool		typbyval;
		char		typalign;
		List	   *vals = NIL;		/* converted non-NULL values, in cxt */
		bool		widen = false;
		PushedValue *pv;
		MemoryContext old;
		ListCell   *lc;

		get_typlenbyvalalign(typid, &typlen, &typbyval, &typalign);

		/* all values of this condition */
		for (; i < n && list_nth_int(groups, i) == group; i++)
		{
			ExprState  *es = (ExprState *) list_nth(exprstates, i);
			int			kind = list_nth_int(kinds, i);
			Datum		d;
			bool		isnull;

			d = ExecEvalExpr(es, econtext, &isnull);
			if (kind & QV_WIDEN)
				widen = true;
			/* "col = NULL", "col = ANY ('{NULL}')": never true */
			if (isnull)
				continue;
			old = MemoryContextSwitchTo(cxt);
			if (kind & QV_ARRAY)
			{
				ArrayType  *arr = DatumGetArrayTypeP(d);
				Oid			elemtype = quals_value_type(kind, typid);
				int16		elen;
				bool		ebyval;
				char		ealign;
				Datum	   *elems;
				bool	   *nulls;
				int			nelems;
				int			j;

				if (ARR_ELEMTYPE(arr) != elemtype)
					elog(ERROR, "array of type %u where %u was expected",
						 ARR_ELEMTYPE(arr), elemtype);
				get_typlenbyvalalign(elemtype, &elen, &ebyval, &ealign);
				deconstruct_array(arr, elemtype, elen, ebyval, ealign,
								  &elems, &nulls, &nelems);
				for (j = 0; j < nelems; j++)
				{
					Datum	   *v;

					if (nulls[j])
						continue;
					v = palloc(sizeof(Datum));
					*v = quals_convert(elems[j], kind, typid, typlen, typbyval);
					vals = lappend(vals, v);
				}
			}
			else
			{
				Datum	   *v = palloc(sizeof(Datum));

				*v = quals_convert(d, kind, typid, typlen, typbyval);
				vals = lappend(vals, v);
			}
			MemoryContextSwitchTo(old);
		}

		old = MemoryContextSwitchTo(cxt);
		if (op == PAGED_OP_IN || op == PAGED_OP_EQ)
		{
			if (widen)
			{
				/* "d = x" on a declared date: a rechecked interval around x */
				PushedValue *lo = quals_new_value(colno, PAGED_OP_GE, 1);
				PushedValue *hi = quals_new_value(colno, PAGED_OP_LE, 1);

				if (vals != NIL)
				{
					lo->values[lo->nvalues++] = quals_widen(*(Datum *) linitial(vals),
															-QUALS_WIDEN_USECS);
					hi->values[hi->nvalues++] = quals_widen(*(Datum *) linitial(vals),
															QUALS_WIDEN_USECS);
				}
				result = lappend(lappend(result, lo), hi);
				MemoryContextSwitchTo(old);
				continue;
			}
			pv = quals_new_value(colno, op, list_length(vals));
			foreach(lc, vals)
				pv->values[pv->nvalues++] = *(Datum *) lfirst(lc);
			if (op == PAGED_OP_EQ && pv->nvalues > 1)
				elog(ERROR, "several values for one equality");
		}
		else
		{
			/*
			 * A bound: with several values (an OR), the loosest one.  Values
			 * of range columns are timestamptz (or another by-value type).
			 */
			bool		lower = (op == PAGED_OP_GE || op == PAGED_OP_GT);

			if (!typbyval)
				elog(ERROR, "range condition on a column of a by-reference type");
			if (widen)
				op = lower ? PAGED_OP_GE : PAGED_OP_LE;
			pv = quals_new_value(colno, op, 1);
			foreach(lc, vals)
			{
				Datum		v = *(Datum *) lfirst(lc);

				if (widen)
					v = quals_widen(v, lower ? -QUALS_WIDEN_USECS : QUALS_WIDEN_USECS);
				if (pv->nvalues == 0)
					pv->values[pv->nvalues++] = v;
				else if (lower ?
						 DatumGetTimestampTz(v) < DatumGetTimestampTz(pv->values[0]) :
						 DatumGetTimestampTz(v) > DatumGetTimestampTz(pv->values[0]))
					pv->values[0] = v;
			}
		}
		result = lappend(result, pv);
		MemoryContextSwitchTo(old);
	}
	return result;
}
