/*-------------------------------------------------------------------------
 * vetis.h
 *		The VetIS list engine (src/mercury.c) and its table of operations
 *		(src/vetis_ops.c).
 *
 * Every VetIS dictionary list has the same shape: a SOAP request
 * ws:get{X}Request holding bs:listOptions and either an update-date
 * interval (the *ChangesList operations), a key (the lists of one region,
 * one product type, ...) or nothing, and an answer ws:get{X}Response
 * holding one list element (bs:EntityList attributes count, total, offset,
 * hasMore) of item elements.  The engine does the SOAP, the paging and the
 * parsing once; an operation is one row of VETIS_OPERATIONS below, and an
 * item type is one array of VetisField.
 *-------------------------------------------------------------------------
 */
#ifndef VETIS_H
#define VETIS_H

#include "resource.h"

/* What a request carries besides listOptions. */
typedef enum VetisKind
{
	VK_CHANGES,					/* bs:updateDateInterval (required) */
	VK_PLAIN,					/* nothing */
	VK_KEYED					/* one dt: key element (required) */
} VetisKind;

/*
 * One child element of an item, and the column it becomes.  Element names
 * are local names: the v2 schema puts the versioning fields in the bs
 * namespace and the rest in dt, the v1 schema everything in one namespace,
 * and the engine matches by local name so that both parse.  A JSONBOID
 * field is a complex type (or a repeated simple one), kept as jsonb;
 * "repeated" is the schema's maxOccurs > 1: such a column is a JSON array.
 */
typedef struct VetisField
{
	const char *elem;
	const char *column;
	Oid			typid;			/* UUID, BOOL, TIMESTAMPTZ, NUMERIC, INT4, TEXT, JSONB */
	bool		repeated;
} VetisField;

typedef struct VetisItemType
{
	const char *name;			/* for messages */
	const VetisField *fields;
	int			nfields;
} VetisItemType;

/* The most fields one item type has, and columns one resource has. */
#define VETIS_MAX_FIELDS	22
#define VETIS_MAX_COLUMNS	(VETIS_MAX_FIELDS + 3)

/* What a resource column reads. */
typedef enum VetisColKind
{
	VC_FIELD,					/* a child element of the item */
	VC_BEGIN,					/* the request's beginDate */
	VC_END,						/* the request's endDate */
	VC_KEY,						/* the request's key */
	VC_RECORD					/* the whole item as jsonb */
} VetisColKind;

/* One row of the table, and what vetis_ops.c derives from it at load. */
typedef struct VetisOp
{
	const char *resource;		/* table option "resource" */
	const char *service;		/* appended to the server url */
	const char *operation;		/* SOAPAction */
	const char *request;		/* ws: request element */
	const char *response;		/* ws: response element */
	const char *list;			/* dt: list element */
	const char *item;			/* dt: item element */
	const VetisItemType *type;
	VetisKind	kind;
	const char *key_elem;		/* VK_KEYED: dt: element of the request */
	const char *key_inner;		/* NULL, or bs: element the key is wrapped in */
	const char *key_column;
	Oid			key_typid;

	/* derived (vetis_ops.c) */
	PagedResource *res;
	ResourceColumn columns[VETIS_MAX_COLUMNS];
	VetisColKind colkind[VETIS_MAX_COLUMNS];
	int			colfield[VETIS_MAX_COLUMNS];	/* VC_FIELD: index in type */
	int			fieldcol[VETIS_MAX_FIELDS];	/* column of a field, -1 none */
	const char *names[VETIS_MAX_FIELDS];	/* field elements, for the scanner */
	bool		scalar[VETIS_MAX_FIELDS];	/* a scalar column's 0..1 element */
	int			ncolumns;
	int			col_begin;		/* VK_CHANGES: begin_date, end_date, */
	int			col_end;		/* update_date columns */
	int			col_update;
	int			col_key;		/* VK_KEYED */
	bool		list_optional;	/* the answer may lack the list: empty */
	char		required_columns[64];
	char		required_hint[200];
} VetisOp;

/*
 * The operations.  One row each:
 *	X(resource, service, SOAPAction, request element, response element,
 *	  list element, item element, item type, kind, key element,
 *	  key wrapper, key column, key type)
 */
#define VETIS_OPERATIONS(X) \
	X(unit_changes, "DictionaryService", "GetUnitChangesList", "getUnitChangesListRequest", "getUnitChangesListResponse", "unitList", "unit", vetis_unit, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(purpose_changes, "DictionaryService", "GetPurposeChangesList", "getPurposeChangesListRequest", "getPurposeChangesListResponse", "purposeList", "purpose", vetis_purpose, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(research_method_changes, "DictionaryService", "GetResearchMethodChangesList", "getResearchMethodChangesListRequest", "getResearchMethodChangesListResponse", "researchMethodList", "method", vetis_named, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(disease_changes, "DictionaryService", "GetDiseaseChangesList", "getDiseaseChangesListRequest", "getDiseaseChangesListResponse", "diseaseList", "disease", vetis_named, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(product_changes, "ProductService", "GetProductChangesList", "getProductChangesListRequest", "getProductChangesListResponse", "productList", "product", vetis_product, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(sub_product_changes, "ProductService", "GetSubProductChangesList", "getSubProductChangesListRequest", "getSubProductChangesListResponse", "subProductList", "subProduct", vetis_sub_product, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(product_item_changes, "ProductService", "GetProductItemChangesList", "getProductItemChangesListRequest", "getProductItemChangesListResponse", "productItemList", "productItem", vetis_product_item, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(business_entity_changes, "EnterpriseService", "GetBusinessEntityChangesList", "getBusinessEntityChangesListRequest", "getBusinessEntityChangesListResponse", "businessEntityList", "businessEntity", vetis_business_entity, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(russian_enterprise_changes, "EnterpriseService", "GetRussianEnterpriseChangesList", "getRussianEnterpriseChangesListRequest", "getRussianEnterpriseChangesListResponse", "enterpriseList", "enterprise", vetis_enterprise, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(foreign_enterprise_changes, "EnterpriseService", "GetForeignEnterpriseChangesList", "getForeignEnterpriseChangesListRequest", "getForeignEnterpriseChangesListResponse", "enterpriseList", "enterprise", vetis_enterprise, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(country_changes, "IkarService", "GetCountryChangesList", "getCountryChangesListRequest", "getCountryChangesListResponse", "countryList", "country", vetis_country, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(region_changes, "IkarService", "GetRegionChangesList", "getRegionChangesListRequest", "getRegionChangesListResponse", "regionList", "region", vetis_region, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(district_changes, "IkarService", "GetDistrictChangesList", "getDistrictChangesListRequest", "getDistrictChangesListResponse", "districtList", "district", vetis_district, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(locality_changes, "IkarService", "GetLocalityChangesList", "getLocalityChangesListRequest", "getLocalityChangesListResponse", "localityList", "locality", vetis_locality, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(street_changes, "IkarService", "GetStreetChangesList", "getStreetChangesListRequest", "getStreetChangesListResponse", "streetList", "street", vetis_street, VK_CHANGES, NULL, NULL, NULL, InvalidOid) \
	X(countries, "IkarService", "GetAllCountryList", "getAllCountryListRequest", "getAllCountryListResponse", "countryList", "country", vetis_country, VK_PLAIN, NULL, NULL, NULL, InvalidOid) \
	X(units, "DictionaryService", "GetUnitList", "getUnitListRequest", "getUnitListResponse", "unitList", "unit", vetis_unit, VK_PLAIN, NULL, NULL, NULL, InvalidOid) \
	X(purposes, "DictionaryService", "GetPurposeList", "getPurposeListRequest", "getPurposeListResponse", "purposeList", "purpose", vetis_purpose, VK_PLAIN, NULL, NULL, NULL, InvalidOid) \
	X(research_methods, "DictionaryService", "GetResearchMethodList", "getResearchMethodListRequest", "getResearchMethodListResponse", "researchMethodList", "method", vetis_named, VK_PLAIN, NULL, NULL, NULL, InvalidOid) \
	X(diseases, "DictionaryService", "GetDiseaseList", "getDiseaseListRequest", "getDiseaseListResponse", "diseaseList", "disease", vetis_named, VK_PLAIN, NULL, NULL, NULL, InvalidOid) \
	X(regions_by_country, "IkarService", "GetRegionListByCountry", "getRegionListByCountryRequest", "getRegionListByCountryResponse", "regionList", "region", vetis_region, VK_KEYED, "countryGuid", NULL, "country_guid", UUIDOID) \
	X(districts_by_region, "IkarService", "GetDistrictListByRegion", "getDistrictListByRegionRequest", "getDistrictListByRegionResponse", "districtList", "district", vetis_district, VK_KEYED, "regionGuid", NULL, "region_guid", UUIDOID) \
	X(localities_by_region, "IkarService", "GetLocalityListByRegion", "getLocalityListByRegionRequest", "getLocalityListByRegionResponse", "localityList", "locality", vetis_locality, VK_KEYED, "regionGuid", NULL, "region_guid", UUIDOID) \
	X(localities_by_district, "IkarService", "GetLocalityListByDistrict", "getLocalityListByDistrictRequest", "getLocalityListByDistrictResponse", "localityList", "locality", vetis_locality, VK_KEYED, "districtGuid", NULL, "district_guid", UUIDOID) \
	X(streets_by_locality, "IkarService", "GetStreetListByLocality", "getStreetListByLocalityRequest", "getStreetListByLocalityResponse", "streetList", "street", vetis_street, VK_KEYED, "localityGuid", NULL, "locality_guid", UUIDOID) \
	X(products_by_type, "ProductService", "GetProductByTypeList", "getProductByTypeListRequest", "getProductByTypeListResponse", "productList", "product", vetis_product, VK_KEYED, "productType", NULL, "product_type", INT4OID) \
	X(sub_products_by_product, "ProductService", "GetSubProductByProductList", "getSubProductByProductListRequest", "getSubProductByProductListResponse", "subProductList", "subProduct", vetis_sub_product, VK_KEYED, "productGuid", NULL, "product_guid", UUIDOID) \
	X(activity_locations, "EnterpriseService", "GetActivityLocationList", "getActivityLocationListRequest", "getActivityLocationListResponse", "activityLocationList", "location", vetis_location, VK_KEYED, "businessEntity", "guid", "business_entity_guid", UUIDOID)

#define VETIS_DECLARE_RESOURCE(r, ...) extern PagedResource vetis_resource_##r;
VETIS_OPERATIONS(VETIS_DECLARE_RESOURCE)

/* For paged_resources[] (resource.c). */
#define VETIS_RESOURCE_ADDRESS(r, ...) &vetis_resource_##r,
#define VETIS_RESOURCES VETIS_OPERATIONS(VETIS_RESOURCE_ADDRESS)

/* The unit_changes resource, under its name of before the table. */
#define mercury_unit_changes_resource vetis_resource_unit_changes

/* vetis_ops.c */
extern VetisOp *const vetis_ops[];
extern const VetisOp *vetis_find_op(const char *resource);
extern bool vetis_repeated_nested(const char *parent, const char *elem);
extern bool vetis_complex(const char *elem);
extern const char *vetis_nested_name(const char *elem, size_t len);
extern const char *const vetis_services[];

/* mercury.c: the engine's callbacks, shared by every operation */
extern void vetis_check_options(const PagedOptions *opts);
extern void vetis_begin(ResourceCtx *ctx);
extern List *vetis_make_streams(ResourceCtx *ctx, List *pushed_values);
extern void vetis_build_request(ResourceCtx *ctx, ResourceStream *stream,
								const PageCursor *cursor, HttpRequest *req);
extern PageVerdict vetis_parse_page(ResourceCtx *ctx, ResourceStream *stream,
									const PageCursor *cursor,
									const HttpRequest *req,
									const HttpResponse *resp,
									PageResult *out);
extern bool vetis_reauth(ResourceCtx *ctx);
extern void vetis_fill_row(ResourceCtx *ctx, ResourceStream *stream,
						   void *records, int index, const bool *want,
						   Datum *values, bool *nulls);
extern bool vetis_has_required(const VetisOp *op, const int *pushed);

#endif							/* VETIS_H */
