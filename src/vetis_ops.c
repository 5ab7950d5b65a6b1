/*-------------------------------------------------------------------------
 * vetis_ops.c
 *		The VetIS dictionary operations: item types (their fields, in
 *		schema order) and the resources built from VETIS_OPERATIONS.
 *
 * Field names, namespaces, types and repeat rules are those of the VetIS
 * v2.1 schemas (dictionary v2, base): every item but "location" is a
 * bs:GenericVersioningEntity, whose versioning fields come first.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"

#include "vetis.h"

#define T TEXTOID
#define U UUIDOID
#define B BOOLOID
#define TS TIMESTAMPTZOID
#define N NUMERICOID
#define I INT4OID
#define J JSONBOID

/* bs:GenericVersioningEntity */
#define VERSIONING \
	{"uuid", "uuid", U}, {"guid", "guid", U}, {"active", "active", B}, \
	{"last", "last", B}, {"status", "status", T}, \
	{"createDate", "create_date", TS}, {"updateDate", "update_date", TS}, \
	{"previous", "previous", U}, {"next", "next", U}

static const VetisField unit_fields[] = {
	VERSIONING,
	{"name", "name", T}, {"fullName", "full_name", T},
	{"commonUnitGuid", "common_unit_guid", U},
	{"factor", "factor", N},	/* xs:integer, unbounded */
};

static const VetisField purpose_fields[] = {
	VERSIONING,
	{"name", "name", T}, {"forSubstandard", "for_substandard", B},
};

/* ResearchMethod, AnimalDisease */
static const VetisField named_fields[] = {
	VERSIONING,
	{"name", "name", T},
};

static const VetisField product_fields[] = {
	VERSIONING,
	{"name", "name", T}, {"code", "code", T},
	{"englishName", "english_name", T},
	{"productType", "product_type", I},	/* 1..8 */
};

static const VetisField sub_product_fields[] = {
	VERSIONING,
	{"name", "name", T}, {"code", "code", T},
	{"englishName", "english_name", T},
	{"productGuid", "product_guid", U},
};

static const VetisField product_item_fields[] = {
	VERSIONING,
	{"globalID", "global_id", T}, {"name", "name", T}, {"code", "code", T},
	{"productType", "product_type", I},
	{"product", "product", J}, {"subProduct", "sub_product", J},
	{"correspondsToGost", "corresponds_to_gost", B}, {"gost", "gost", T},
	{"producer", "producer", J}, {"tmOwner", "tm_owner", J},
	{"producing", "producing", J, true},
	{"packaging", "packaging", J}, {"isPublic", "is_public", B},
};

static const VetisField country_fields[] = {
	VERSIONING,
	{"name", "name", T}, {"fullName", "full_name", T},
	{"englishName", "english_name", T}, {"code", "code", T},
	{"code3", "code3", T},
};

/* dt:AddressObjectView and its extensions */
#define ADDRESS_OBJECT \
	VERSIONING, \
	{"name", "name", T}, {"englishName", "english_name", T}, \
	{"view", "view", T}, {"regionCode", "region_code", T}, \
	{"type", "type", T}, {"countryGuid", "country_guid", U}, \
	{"hasStreets", "has_streets", B}

static const VetisField region_fields[] = {
	ADDRESS_OBJECT,
};

static const VetisField district_fields[] = {
	ADDRESS_OBJECT,
	{"regionGuid", "region_guid", U},
};

static const VetisField locality_fields[] = {
	ADDRESS_OBJECT,
	{"regionGuid", "region_guid", U}, {"districtGuid", "district_guid", U},
	{"cityGuid", "city_guid", U},
};

static const VetisField street_fields[] = {
	ADDRESS_OBJECT,
	{"localityGuid", "locality_guid", U},
};

static const VetisField business_entity_fields[] = {
	VERSIONING,
	{"type", "type", I},		/* 1 juridical, 2 physical, 3 self-employed */
	{"name", "name", T}, {"incorporationForm", "incorporation_form", J},
	{"fullName", "full_name", T}, {"fio", "fio", T},
	{"passport", "passport", T}, {"inn", "inn", T}, {"kpp", "kpp", T},
	{"ogrn", "ogrn", T}, {"juridicalAddress", "juridical_address", J},
	{"activityLocation", "activity_location", J, true},
};

static const VetisField enterprise_fields[] = {
	VERSIONING,
	{"name", "name", T}, {"englishName", "english_name", T},
	{"type", "type", I}, {"numberList", "number_list", J},
	{"address", "address", J}, {"activityList", "activity_list", J},
	{"owner", "owner", J},
	{"officialRegistration", "official_registration", J, true},
	{"registryStatus", "registry_status", T},
};

/* dt:BusinessMember (GetActivityLocationList): not versioned */
static const VetisField location_fields[] = {
	{"businessEntity", "business_entity", J}, {"enterprise", "enterprise", J},
	{"globalID", "global_id", J, true},
};

#define ITEM(v, name, f) \
	static const VetisItemType v = {name, f, lengthof(f)}

ITEM(vetis_unit, "unit", unit_fields);
ITEM(vetis_purpose, "purpose", purpose_fields);
ITEM(vetis_named, "name", named_fields);
ITEM(vetis_product, "product", product_fields);
ITEM(vetis_sub_product, "subProduct", sub_product_fields);
ITEM(vetis_product_item, "productItem", product_item_fields);
ITEM(vetis_country, "country", country_fields);
ITEM(vetis_region, "region", region_fields);
ITEM(vetis_district, "district", district_fields);
ITEM(vetis_locality, "locality", locality_fields);
ITEM(vetis_street, "street", street_fields);
ITEM(vetis_business_entity, "businessEntity", business_entity_fields);
ITEM(vetis_enterprise, "enterprise", enterprise_fields);
ITEM(vetis_location, "location", location_fields);

/*
 * Elements of the nested types that the schema repeats (maxOccurs > 1):
 * BusinessEntity.activityLocation, Enterprise.officialRegistration,
 * EnterpriseNumberList.enterpriseNumber, EnterpriseActivityList.activity,
 * ProductItem.producing wherever they are, and globalID under
 * activityLocation (BusinessEntityActivityLocation; PackingType's globalID
 * is 0..1).  In a jsonb column they are always arrays, however many an
 * answer holds.
 */
static const struct
{
	const char *parent;			/* NULL: any */
	const char *elem;
}			vetis_repeated[] =
{
	{NULL, "activityLocation"},
	{NULL, "officialRegistration"},
	{NULL, "enterpriseNumber"},
	{NULL, "activity"},
	{NULL, "producing"},
	{"activityLocation", "globalID"},
	{NULL, NULL}
};

bool
vetis_repeated_nested(const char *parent, const char *elem)
{
	int			i;

	for (i = 0; vetis_repeated[i].elem != NULL; i++)
		if (strcmp(vetis_repeated[i].elem, elem) == 0 &&
			(vetis_repeated[i].parent == NULL ||
			 strcmp(vetis_repeated[i].parent, parent) == 0))
			return true;
	return false;
}

/*
 * Elements of a complex type, in the item types and the types nested in
 * them: an empty one is an empty object, not a string.
 */
static const char *const vetis_complex_names[] = {
	"product", "subProduct", "producer", "tmOwner", "producing", "packaging",
	"packagingType", "unit", "incorporationForm", "juridicalAddress",
	"activityLocation", "enterprise", "numberList", "address", "activityList",
	"activity", "owner", "officialRegistration", "businessEntity", "country",
	"federalDistrict", "region", "district", "locality", "subLocality",
	"street", "location", NULL
};

bool
vetis_complex(const char *elem)
{
	int			i;

	for (i = 0; vetis_complex_names[i] != NULL; i++)
		if (strcmp(vetis_complex_names[i], elem) == 0)
			return true;
	return false;
}

/*
 * Local names of the nested types' elements, so that a kept tree points to
 * static names instead of copies (those not here are copied).
 */
static const char *const vetis_nested[] = {
	"uuid", "guid", "active", "last", "status", "createDate", "updateDate",
	"previous", "next", "name", "fullName", "englishName", "code", "code3",
	"view", "regionCode", "type", "countryGuid", "hasStreets", "regionGuid",
	"districtGuid", "cityGuid", "localityGuid", "productType", "productGuid",
	"globalID", "shortName", "fio", "passport", "inn", "kpp", "ogrn",
	"incorporationForm", "juridicalAddress", "activityLocation", "enterprise",
	"numberList", "enterpriseNumber", "address", "activityList", "activity",
	"owner", "officialRegistration", "ID", "businessEntity",
	"registryStatus", "country", "federalDistrict", "region", "district",
	"locality", "subLocality", "street", "house", "building", "room",
	"postIndex", "postBox", "additionalInfo", "addressView", "enAddressView",
	"location", "packagingType", "quantity", "volume", "unit", "factor",
	"commonUnitGuid", "product", "subProduct", "producer", "tmOwner",
	"producing", "packaging", "isPublic", "gost", "correspondsToGost",
	NULL
};

const char *
vetis_nested_name(const char *elem, size_t len)
{
	int			i;

	for (i = 0; vetis_nested[i] != NULL; i++)
		if (strlen(vetis_nested[i]) == len &&
			memcmp(vetis_nested[i], elem, len) == 0)
			return vetis_nested[i];
	return NULL;
}

/*
 * Operations whose answer's list element is optional (minOccurs 0 in the
 * bindings, unlike every other list): no list is an empty list.
 */
static const char *const vetis_optional_lists[] = {
	"GetProductItemChangesList", NULL
};

/* The services a server url may already end in (today's contract). */
const char *const vetis_services[] = {
	"DictionaryService", "ProductService", "EnterpriseService", "IkarService",
	NULL
};

/*
 * The rows: a VetisOp, a has_required function (the planner's callback
 * takes no resource) and a PagedResource each.
 */
#define VETIS_DEFINE(r, svc, action, req, resp, lst, itm, type, kind, kelem, kinner, kcol, ktyp) \
	static VetisOp vetis_op_##r = { \
		#r, svc, action, req, resp, lst, itm, &type, kind, kelem, kinner, kcol, ktyp \
	}; \
	static bool \
	vetis_required_##r(const int *pushed) \
	{ \
		return vetis_has_required(&vetis_op_##r, pushed); \
	} \
	PagedResource vetis_resource_##r = { \
		.api = "mercury", \
		.name = #r, \
		.operation = action, \
		.paging = PAGING_OFFSET, \
		.default_page_size = 1000, \
		.max_page_size = 1000, \
		.has_required = vetis_required_##r, \
		.check_options = vetis_check_options, \
		.begin = vetis_begin, \
		.make_streams = vetis_make_streams, \
		.build_request = vetis_build_request, \
		.parse_page = vetis_parse_page, \
		.reauth = vetis_reauth, \
		.fill_row = vetis_fill_row, \
	};

VETIS_OPERATIONS(VETIS_DEFINE)

#define VETIS_OP_ADDRESS(r, ...) &vetis_op_##r,
VetisOp    *const vetis_ops[] = {
	VETIS_OPERATIONS(VETIS_OP_ADDRESS)
	NULL
};

#define VETIS_LINK(r, ...) vetis_op_##r.res = &vetis_resource_##r;

static void
vetis_add_column(VetisOp *op, const char *name, Oid typid, int push,
				 bool recheck, bool notnull, VetisColKind kind, int field)
{
	ResourceColumn *c;

	if (op->ncolumns >= VETIS_MAX_COLUMNS)
		abort();				/* the table is wrong: caught by any test */
	c = &op->columns[op->ncolumns];
	c->name = name;
	c->typid = typid;
	c->push = push;
	c->recheck = recheck;
	c->notnull = notnull;
	op->colkind[op->ncolumns] = kind;
	op->colfield[op->ncolumns] = field;
	op->ncolumns++;
}

/*
 * Derive the columns of every resource when the library is loaded, before
 * any resource is looked up: the item's fields in schema order, then the
 * request's columns (begin_date and end_date, or the key), then record.
 * A key that the item also has as a field (a region's countryGuid) is one
 * column, read from the request like Diadoc's packet_id: a pushed "=" on
 * it is then exact.
 */
static void vetis_ops_init(void) __attribute__((constructor));

static void
vetis_ops_init(void)
{
	int			i;

	VETIS_OPERATIONS(VETIS_LINK)

	for (i = 0; vetis_ops[i] != NULL; i++)
	{
		VetisOp    *op = vetis_ops[i];
		const VetisItemType *t = op->type;
		int			f;

		if (t->nfields > VETIS_MAX_FIELDS)
			abort();
		op->col_begin = op->col_end = op->col_update = op->col_key = -1;
		for (f = 0; vetis_optional_lists[f] != NULL; f++)
			if (strcmp(vetis_optional_lists[f], op->operation) == 0)
				op->list_optional = true;
		for (f = 0; f < t->nfields; f++)
		{
			const VetisField *fd = &t->fields[f];

			op->names[f] = fd->elem;
			op->scalar[f] = fd->typid != JSONBOID && !fd->repeated;
			op->fieldcol[f] = op->ncolumns;
			if (op->kind == VK_KEYED && strcmp(fd->column, op->key_column) == 0)
			{
				op->col_key = op->ncolumns;
				vetis_add_column(op, fd->column, op->key_typid,
								 RC_PUSH_EQ | RC_PUSH_IN, false, true, VC_KEY, f);
				continue;
			}
			if (op->kind == VK_CHANGES && strcmp(fd->elem, "updateDate") == 0)
			{
				/*
				 * beginDate is inclusive: update_date >= x is exactly what
				 * it asks for; the other bounds are rechecked.
				 */
				op->col_update = op->ncolumns;
				vetis_add_column(op, fd->column, fd->typid,
								 RC_PUSH_EQ | RC_PUSH_RANGE, true, false,
								 VC_FIELD, f);
				op->columns[op->col_update].exact_ops = 1 << PAGED_OP_GE;
				continue;
			}
			vetis_add_column(op, fd->column, fd->typid, 0, false, false,
							 VC_FIELD, f);
		}
		if (op->kind == VK_CHANGES)
		{
			op->col_begin = op->ncolumns;
			vetis_add_column(op, "begin_date", TIMESTAMPTZOID,
							 RC_PUSH_EQ | RC_PUSH_IN, false, true, VC_BEGIN, -1);
			op->col_end = op->ncolumns;
			vetis_add_column(op, "end_date", TIMESTAMPTZOID, RC_PUSH_EQ,
							 false, false, VC_END, -1);
			strlcpy(op->required_columns, "begin_date or update_date",
					sizeof(op->required_columns));
			strlcpy(op->required_hint,
					"Add WHERE begin_date = '2024-01-01' (and optionally end_date = ...), or a lower bound such as update_date >= now() - interval '7 days'.",
					sizeof(op->required_hint));
		}
		else if (op->kind == VK_KEYED)
		{
			if (op->col_key < 0)
			{
				op->col_key = op->ncolumns;
				vetis_add_column(op, op->key_column, op->key_typid,
								 RC_PUSH_EQ | RC_PUSH_IN, false, true, VC_KEY, -1);
			}
			strlcpy(op->required_columns, op->key_column,
					sizeof(op->required_columns));
			snprintf(op->required_hint, sizeof(op->required_hint),
					 "Add a condition such as WHERE %s = '...' or %s IN (...), or join on %s.",
					 op->key_column, op->key_column, op->key_column);
		}
		vetis_add_column(op, "record", JSONBOID, 0, false, true, VC_RECORD, -1);

		op->res->columns = op->columns;
		op->res->ncolumns = op->ncolumns;
		op->res->required_columns = op->required_columns;
		op->res->required_hint = op->required_hint;
	}
}

const VetisOp *
vetis_find_op(const char *resource)
{
	int			i;

	for (i = 0; vetis_ops[i] != NULL; i++)
		if (strcmp(vetis_ops[i]->resource, resource) == 0)
			return vetis_ops[i];
	return NULL;
}
