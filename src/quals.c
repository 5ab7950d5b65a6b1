/*-------------------------------------------------------------------------
 * quals.c
 *		Recognise conditions the remote API can answer, and evaluate their
 *		values at scan start.
 *
 * A pushable condition is "column op value" (either side) or "column =
 * ANY(array)" where the operator is the column type's own btree operator and
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
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
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
 * Strategy of opno for type typid, requiring the same-type member of the
 * type's default btree family: a cross-type operator would need its value
 * converted, and we keep such conditions local instead.
 */
static int
quals_strategy(Oid opno, Oid typid)
{
	TypeCacheEntry *tce = lookup_type_cache(typid, TYPECACHE_BTREE_OPFAMILY);
	int			strategy;

	if (!OidIsValid(tce->btree_opf))
		return 0;
	strategy = get_op_opfamily_strategy(opno, tce->btree_opf);
	if (strategy == 0)
		return 0;
	if (get_opfamily_member(tce->btree_opf, typid, typid, strategy) != opno)
		return 0;
	return strategy;
}

static int
quals_column_of(Var *var, const PagedResource *res, const int *attr_colno)
{
	int			colno = attr_colno[var->varattno - 1];

	if (colno < 0)
		return -1;
	/* The declared type must be the resource's (or binary-compatible). */
	if (var->vartype != res->columns[colno].typid &&
		!IsBinaryCoercible(var->vartype, res->columns[colno].typid))
		return -1;
	return colno;
}

bool
quals_classify(PlannerInfo *root, RelOptInfo *baserel,
			   const PagedResource *res, const int *attr_colno,
			   Expr *clause, PagedQualInfo *out)
{
	if (IsA(clause, OpExpr))
	{
		OpExpr	   *oe = (OpExpr *) clause;
		Node	   *left;
		Node	   *right;
		Var		   *var;
		Node	   *value;
		bool		commuted = false;
		int			colno;
		int			strategy;
		PagedOp		op;

		if (list_length(oe->args) != 2)
			return false;
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
			return false;

		colno = quals_column_of(var, res, attr_colno);
		if (colno < 0 || !quals_is_value(value, baserel))
			return false;
		strategy = quals_strategy(oe->opno, res->columns[colno].typid);
		if (!quals_strategy_op(strategy, commuted, &op))
			return false;
		if (op == PAGED_OP_EQ && !(res->columns[colno].push & RC_PUSH_EQ))
			return false;
		if (op != PAGED_OP_EQ && !(res->columns[colno].push & RC_PUSH_RANGE))
			return false;

		out->colno = colno;
		out->op = op;
		out->value = (Expr *) value;
		return true;
	}

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;
		Var		   *var;
		Node	   *value;
		int			colno;

		/* Only "col = ANY(array)": that is what IN (...) becomes too. */
		if (!sa->useOr || list_length(sa->args) != 2)
			return false;
		var = quals_our_var(linitial(sa->args), baserel);
		value = lsecond(sa->args);
		if (var == NULL)
			return false;
		colno = quals_column_of(var, res, attr_colno);
		if (colno < 0 || !(res->columns[colno].push & RC_PUSH_IN))
			return false;
		if (!quals_is_value(value, baserel))
			return false;
		if (quals_strategy(sa->opno, res->columns[colno].typid) != BTEqualStrategyNumber)
			return false;

		out->colno = colno;
		out->op = PAGED_OP_IN;
		out->value = (Expr *) value;
		return true;
	}

	return false;
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

char *
quals_describe(PlannerInfo *root, const PagedResource *res,
			   const PagedQualInfo *q)
{
	Node	   *value = (Node *) q->value;
	char	   *vtext;

	while (value && IsA(value, RelabelType))
		value = (Node *) ((RelabelType *) value)->arg;

	if (IsA(value, Var))
	{
		Var		   *var = (Var *) value;
		RangeTblEntry *rte = planner_rt_fetch(var->varno, root);

		vtext = psprintf("%s.%s", quote_identifier(rte->eref->aliasname),
						 quote_identifier(get_rte_attribute_name(rte, var->varattno)));
	}
	else if (quals_has_foreign_var(value, NULL))
		vtext = pstrdup("(expression over the outer relation)");
	else if (IsA(value, Param) && ((Param *) value)->paramkind == PARAM_EXEC)
		vtext = pstrdup("(value of a subquery or outer query)");
	else if (quals_has_exec_param(value, NULL))
		/* ruleutils cannot name an initplan's output without a plan tree */
		vtext = pstrdup("(expression evaluated at scan start)");
	else
		vtext = deparse_expression(value, NIL, false, false);

	if (q->op == PAGED_OP_IN)
		return psprintf("%s = ANY (%s)", res->columns[q->colno].name, vtext);
	return psprintf("%s %s %s", res->columns[q->colno].name,
					quals_op_text(q->op), vtext);
}

List *
quals_evaluate(const PagedResource *res, List *exprstates, List *colnos,
			   List *ops, ExprContext *econtext, MemoryContext cxt)
{
	List	   *result = NIL;
	ListCell   *le,
			   *lc,
			   *lo;

	forthree(le, exprstates, lc, colnos, lo, ops)
	{
		ExprState  *es = (ExprState *) lfirst(le);
		int			colno = lfirst_int(lc);
		PagedOp		op = (PagedOp) lfirst_int(lo);
		Oid			typid = res->columns[colno].typid;
		int16		typlen;
		bool		typbyval;
		char		typalign;
		Datum		d;
		bool		isnull;
		PushedValue *pv;
		MemoryContext old;

		get_typlenbyvalalign(typid, &typlen, &typbyval, &typalign);
		d = ExecEvalExpr(es, econtext, &isnull);

		old = MemoryContextSwitchTo(cxt);
		pv = palloc0(sizeof(PushedValue));
		pv->colno = colno;
		pv->op = op;
		if (isnull)
			pv->nvalues = 0;
		else if (op == PAGED_OP_IN)
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *nulls;
			int			n;
			int			i;

			if (ARR_ELEMTYPE(arr) != typid)
				elog(ERROR, "array of type %u where %u was expected",
					 ARR_ELEMTYPE(arr), typid);
			deconstruct_array(arr, typid, typlen, typbyval, typalign,
							  &elems, &nulls, &n);
			pv->values = palloc(sizeof(Datum) * Max(n, 1));
			/* col = ANY(array) can never be true for a NULL element. */
			for (i = 0; i < n; i++)
			{
				if (!nulls[i])
					pv->values[pv->nvalues++] = datumCopy(elems[i], typbyval, typlen);
			}
		}
		else
		{
			pv->values = palloc(sizeof(Datum));
			pv->values[0] = datumCopy(d, typbyval, typlen);
			pv->nvalues = 1;
		}
		result = lappend(result, pv);
		MemoryContextSwitchTo(old);
	}
	return result;
}
