/*-------------------------------------------------------------------------
 *
 * mock_vetis.c
 *		The mock's VetIS dictionary services: every list operation of
 *		DictionaryService, ProductService, EnterpriseService and IkarService
 *		over a generated, deterministic data set.
 *
 * mock_api.c includes this file (after its Mercury section) so that it
 * shares that file's buffers, replies, faults, scenarios and request log
 * without exporting them; GetUnitChangesList stays on mock_api.c's
 * arithmetic unit generator, which the benchmark depends on.
 *
 * The data set is built once at start from a seeded generator: every item
 * version is rendered to XML (both namespace forms) and to JSON (the truth
 * the tests compare with, GET /_vetis/SET) up front, so a page is a run of
 * memcpy.  The element names, namespaces, order and repeat rules are those
 * of the generated VetIS bindings (registry ws-definitions v2,
 * dictionary v2, base); PROTOCOL.md describes what the tests rely on.
 *
 *-------------------------------------------------------------------------
 */

/* The data sets; an item list of one of them answers each operation. */
typedef enum VSet
{
	VS_COUNTRY,
	VS_REGION,
	VS_DISTRICT,
	VS_LOCALITY,
	VS_STREET,
	VS_PURPOSE,
	VS_METHOD,
	VS_DISEASE,
	VS_PRODUCT,
	VS_SUBPRODUCT,
	VS_PRODUCTITEM,
	VS_BUSINESS,
	VS_RUSENT,
	VS_FOREIGNENT,
	VS_LOCATION,				/* activity locations: not versioned */
	VS_COUNT,
	VS_UNIT						/* mock_api.c's arithmetic units */
} VSet;

/* Per set: truth name, entities generated, item element. */
static const struct
{
	const char *name;			/* GET /_vetis/NAME */
	int			entities;
	const char *item;
}			vsets[VS_COUNT] =
{
	{"country", 40, "country"},
	{"region", 150, "region"},
	{"district", 300, "district"},
	{"locality", 700, "locality"},
	{"street", 1200, "street"},
	{"purpose", 260, "purpose"},
	{"method", 220, "method"},
	{"disease", 300, "disease"},
	{"product", 60, "product"},
	{"subProduct", 500, "subProduct"},
	{"productItem", 700, "productItem"},
	{"businessEntity", 400, "businessEntity"},
	{"russianEnterprise", 600, "enterprise"},
	{"foreignEnterprise", 200, "enterprise"},
	{"location", 0, "location"},
};

/* What selects a list's items. */
typedef enum VKind
{
	VK_CHANGES,					/* updateDateInterval, every version */
	VK_PLAIN,					/* current versions */
	VK_KEYED					/* current versions whose key matches */
} VKind;

typedef struct VOp
{
	const char *service;
	const char *op;				/* SOAPAction */
	VSet		set;
	VKind		kind;
	const char *key;			/* request element of the key (VK_KEYED) */
	int			key_field;		/* 0: VItem.key, 1: VItem.key2 */
	VSet		key_set;		/* set whose guids are the known keys */
	bool		not_found;		/* unknown key: entityNotFoundFault */
	const char *list;			/* list element */
} VOp;

static const VOp vops[] =
{
	{"DictionaryService", "GetUnitChangesList", VS_UNIT, VK_CHANGES, NULL, 0, 0, false, "unitList"},
	{"DictionaryService", "GetPurposeChangesList", VS_PURPOSE, VK_CHANGES, NULL, 0, 0, false, "purposeList"},
	{"DictionaryService", "GetResearchMethodChangesList", VS_METHOD, VK_CHANGES, NULL, 0, 0, false, "researchMethodList"},
	{"DictionaryService", "GetDiseaseChangesList", VS_DISEASE, VK_CHANGES, NULL, 0, 0, false, "diseaseList"},
	{"DictionaryService", "GetUnitList", VS_UNIT, VK_PLAIN, NULL, 0, 0, false, "unitList"},
	{"DictionaryService", "GetPurposeList", VS_PURPOSE, VK_PLAIN, NULL, 0, 0, false, "purposeList"},
	{"DictionaryService", "GetResearchMethodList", VS_METHOD, VK_PLAIN, NULL, 0, 0, false, "researchMethodList"},
	{"DictionaryService", "GetDiseaseList", VS_DISEASE, VK_PLAIN, NULL, 0, 0, false, "diseaseList"},
	{"ProductService", "GetProductChangesList", VS_PRODUCT, VK_CHANGES, NULL, 0, 0, false, "productList"},
	{"ProductService", "GetSubProductChangesList", VS_SUBPRODUCT, VK_CHANGES, NULL, 0, 0, false, "subProductList"},
	{"ProductService", "GetProductItemChangesList", VS_PRODUCTITEM, VK_CHANGES, NULL, 0, 0, false, "productItemList"},
	{"ProductService", "GetProductByTypeList", VS_PRODUCT, VK_KEYED, "productType", 0, VS_COUNT, false, "productList"},
	{"ProductService", "GetSubProductByProductList", VS_SUBPRODUCT, VK_KEYED, "productGuid", 0, VS_PRODUCT, false, "subProductList"},
	{"EnterpriseService", "GetBusinessEntityChangesList", VS_BUSINESS, VK_CHANGES, NULL, 0, 0, false, "businessEntityList"},
	{"EnterpriseService", "GetRussianEnterpriseChangesList", VS_RUSENT, VK_CHANGES, NULL, 0, 0, false, "enterpriseList"},
	{"EnterpriseService", "GetForeignEnterpriseChangesList", VS_FOREIGNENT, VK_CHANGES, NULL, 0, 0, false, "enterpriseList"},
	{"EnterpriseService", "GetActivityLocationList", VS_LOCATION, VK_KEYED, "businessEntity", 0, VS_BUSINESS, false, "activityLocationList"},
	{"IkarService", "GetCountryChangesList", VS_COUNTRY, VK_CHANGES, NULL, 0, 0, false, "countryList"},
	{"IkarService", "GetRegionChangesList", VS_REGION, VK_CHANGES, NULL, 0, 0, false, "regionList"},
	{"IkarService", "GetDistrictChangesList", VS_DISTRICT, VK_CHANGES, NULL, 0, 0, false, "districtList"},
	{"IkarService", "GetLocalityChangesList", VS_LOCALITY, VK_CHANGES, NULL, 0, 0, false, "localityList"},
	{"IkarService", "GetStreetChangesList", VS_STREET, VK_CHANGES, NULL, 0, 0, false, "streetList"},
	{"IkarService", "GetAllCountryList", VS_COUNTRY, VK_PLAIN, NULL, 0, 0, false, "countryList"},
	{"IkarService", "GetRegionListByCountry", VS_REGION, VK_KEYED, "countryGuid", 0, VS_COUNTRY, true, "regionList"},
	{"IkarService", "GetDistrictListByRegion", VS_DISTRICT, VK_KEYED, "regionGuid", 0, VS_REGION, true, "districtList"},
	{"IkarService", "GetLocalityListByRegion", VS_LOCALITY, VK_KEYED, "regionGuid", 0, VS_REGION, true, "localityList"},
	{"IkarService", "GetLocalityListByDistrict", VS_LOCALITY, VK_KEYED, "districtGuid", 1, VS_DISTRICT, true, "localityList"},
	{"IkarService", "GetStreetListByLocality", VS_STREET, VK_KEYED, "localityGuid", 0, VS_LOCALITY, true, "streetList"},
	{NULL}
};

/* One entity (guid) of a set, decided before any item is rendered. */
typedef struct VEnt
{
	char		guid[37];
	char		last_uuid[37];	/* uuid of its newest version */
	char		name[96];
	int			parent;			/* index in the parent set, -1 if none */
	int			parent2;		/* second parent (locality: district), -1 */
	int			aux;			/* set-specific: productType, BE type, ... */
	int			versions;
	bool		deleted;		/* newest version has status DELETED */
	int			nlinks;			/* set-specific list of entity indexes */
	int		   *links;
	char		(*uuids)[37];	/* per version */
	int64_t    *times;			/* updateDate per version */
} VEnt;

/* One rendered item: one version of an entity (or one location). */
typedef struct VItem
{
	int64_t		update;			/* updateDate, seconds since 1970 */
	int			ent;
	int			version;
	bool		current;		/* last and not deleted: in the plain lists */
	const char *key;			/* the parent guid the keyed lists select by */
	const char *key2;
	char	   *xml;			/* dt:/bs: prefixes */
	size_t		xml_len;
	char	   *xml1;			/* v1: argc: everywhere */
	size_t		xml1_len;
	char	   *json;
} VItem;

typedef struct VData
{
	VEnt	   *ents;
	int			nents;
	VItem	   *items;			/* in update order (the changes lists) */
	int			nitems;
	int		   *plain;			/* current items in entity order */
	int			nplain;
} VData;

static VData vdata[VS_COUNT];
static uint64_t vetis_seed = 20240101;

/* 2023-01-01T00:00:00+03:00 */
#define VETIS_BASE		INT64_C(1672520400)

/* splitmix64 */
typedef struct Rng
{
	uint64_t	s;
} Rng;

static uint64_t
rng_next(Rng *r)
{
	uint64_t	z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int
rng_below(Rng *r, int n)
{
	return (int) (rng_next(r) % (uint64_t) n);
}

static bool
rng_pct(Rng *r, int percent)
{
	return rng_below(r, 100) < percent;
}

static void
rng_uuid(Rng *r, char *dst)
{
	uint64_t	a = rng_next(r),
				b = rng_next(r);
	char		hex[33];

	put_digits(hex, a, 16, 16);
	put_digits(hex + 16, b, 16, 16);
	/* version 4, variant 10xx */
	hex[12] = '4';
	hex[16] = "89ab"[(b >> 60) & 3];
	memcpy(dst, hex, 8);
	dst[8] = '-';
	memcpy(dst + 9, hex + 8, 4);
	dst[13] = '-';
	memcpy(dst + 14, hex + 12, 4);
	dst[18] = '-';
	memcpy(dst + 19, hex + 16, 4);
	dst[23] = '-';
	memcpy(dst + 24, hex + 20, 12);
	dst[36] = '\0';
}

/* ISO 8601 in Moscow time, as the service writes it */
static void
vetis_date(char *dst, int64_t t)
{
	int64_t		local = t + MSK_OFFSET,
				secs = local % 86400,
				year;
	int			month,
				day;

	civil_from_days(local / 86400, &year, &month, &day);
	sprintf(dst, "%04d-%02d-%02dT%02d:%02d:%02d+03:00", (int) year, month, day,
			(int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
}

/* ---------------------------------------------------------------------
 * Item trees: built per item, rendered to XML and JSON, then freed
 * ---------------------------------------------------------------------
 */
typedef struct VNode
{
	const char *name;
	char		ns;				/* 'b' (bs) or 'd' (dt) */
	bool		repeated;		/* maxOccurs > 1 in the schema: a JSON array */
	char	   *text;			/* NULL: complex element */
	struct VNode *child,
			   *last,
			   *next;
} VNode;

static VNode *
vn_add(VNode *parent, char ns, const char *name, const char *text, bool repeated)
{
	VNode	   *n = xrealloc(NULL, sizeof(VNode));

	n->name = name;
	n->ns = ns;
	n->repeated = repeated;
	n->text = text ? strdup(text) : NULL;
	n->child = n->last = n->next = NULL;
	if (parent)
	{
		if (parent->last)
			parent->last->next = n;
		else
			parent->child = n;
		parent->last = n;
	}
	return n;
}

static VNode *
vn_text(VNode *parent, const char *name, const char *fmt,...)
{
	va_list		ap;
	char		text[512];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return vn_add(parent, 'd', name, text, false);
}

static void
vn_free(VNode *n)
{
	while (n)
	{
		VNode	   *next = n->next;

		vn_free(n->child);
		free(n->text);
		free(n);
		n = next;
	}
}

static void
vn_xml(Buf *b, const VNode *n, bool v1)
{
	for (; n; n = n->next)
	{
		const char *p = v1 ? "argc" : n->ns == 'b' ? "bs" : "dt";

		if (n->text)
		{
			buf_printf(b, "<%s:%s>", p, n->name);
			buf_xml_escaped(b, n->text);
			buf_printf(b, "</%s:%s>", p, n->name);
		}
		else if (n->child == NULL)
			buf_printf(b, "<%s:%s/>", p, n->name);
		else
		{
			buf_printf(b, "<%s:%s>", p, n->name);
			vn_xml(b, n->child, v1);
			buf_printf(b, "</%s:%s>", p, n->name);
		}
	}
}

static void
json_string(Buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; *s; s++)
	{
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_append(b, s, 1);
	}
	buf_puts(b, "\"");
}

static void vn_json(Buf *b, const VNode *n);

static void
vn_json_value(Buf *b, const VNode *n)
{
	if (n->text)
		json_string(b, n->text);
	else
		vn_json(b, n->child);
}

/*
 * An object of the children n...: text as strings, complex elements as
 * objects, repeated elements (by the schema) as arrays of their
 * consecutive occurrences.
 */
static void
vn_json(Buf *b, const VNode *n)
{
	bool		first = true;

	buf_puts(b, "{");
	while (n)
	{
		if (!first)
			buf_puts(b, ", ");
		first = false;
		json_string(b, n->name);
		buf_puts(b, ": ");
		if (n->repeated)
		{
			const char *name = n->name;
			bool		one = true;

			buf_puts(b, "[");
			for (; n && strcmp(n->name, name) == 0; n = n->next)
			{
				if (!one)
					buf_puts(b, ", ");
				one = false;
				vn_json_value(b, n);
			}
			buf_puts(b, "]");
		}
		else
		{
			vn_json_value(b, n);
			n = n->next;
		}
	}
	buf_puts(b, "}");
}

/* ---------------------------------------------------------------------
 * The generator
 * ---------------------------------------------------------------------
 */
static const char *const region_types[] = {"область", "край", "республика", "автономный округ", "город"};
static const char *const district_types[] = {"район", "улус", "городской округ"};
static const char *const locality_types[] = {"город", "село", "деревня", "посёлок"};
static const char *const street_types[] = {"улица", "проспект", "переулок", "шоссе", "бульвар"};
static const char *const activities[] = {"Производство", "Хранение", "Переработка", "Убой", "Торговля", "Перевозка"};
static const char *const inc_forms[][3] = {
	{"Общество с ограниченной ответственностью", "12300", "ООО"},
	{"Акционерное общество", "12200", "АО"},
	{"Публичное акционерное общество", "12247", "ПАО"},
	{"Сельскохозяйственный кооператив", "20100", "СПК"},
};

/* versioning fields of GenericVersioningEntity, in schema order */
static void
vn_versioning(VNode *item, VSet set, int e, int v, const char *uuid,
			  const char *prev, const char *next, int64_t created, int64_t updated)
{
	const VEnt *ent = &vdata[set].ents[e];
	bool		last = v == ent->versions - 1;
	char		d[40];

	vn_add(item, 'b', "uuid", uuid, false);
	vn_add(item, 'b', "guid", ent->guid, false);
	vn_add(item, 'b', "active", last && !ent->deleted ? "true" : "false", false);
	vn_add(item, 'b', "last", last ? "true" : "false", false);
	vn_add(item, 'b', "status", v == 0 ? "100" : last && ent->deleted ? "400" : "200", false);
	vetis_date(d, created);
	vn_add(item, 'b', "createDate", d, false);
	vetis_date(d, updated);
	vn_add(item, 'b', "updateDate", d, false);
	if (prev)
		vn_add(item, 'b', "previous", prev, false);
	if (next)
		vn_add(item, 'b', "next", next, false);
}

/* a reference to an entity: bs:uuid (its newest version), bs:guid, dt:name */
static VNode *
vn_ref(VNode *parent, const char *elem, VSet set, int e, bool uuid, bool name)
{
	VNode	   *n = vn_add(parent, 'd', elem, NULL, false);
	const VEnt *ent = &vdata[set].ents[e];

	if (uuid)
		vn_add(n, 'b', "uuid", ent->last_uuid, false);
	vn_add(n, 'b', "guid", ent->guid, false);
	if (name)
		vn_add(n, 'd', "name", ent->name, false);
	return n;
}

/* The first street from index "from" on (cyclic) in a Russian locality. */
static int
russian_street(int from)
{
	int			n = vdata[VS_STREET].nents,
				k;

	for (k = 0; k < n; k++)
	{
		int			st = (from + k) % n,
					loc = vdata[VS_STREET].ents[st].parent,
					reg = vdata[VS_LOCALITY].ents[loc].parent;

		if (vdata[VS_REGION].ents[reg].parent == 0)
			return st;
	}
	return from % n;
}

/* dt:Address of a street (and so its locality, region, country) */
static void
vn_address(VNode *parent, const char *elem, int street, Rng *rng)
{
	VNode	   *a = vn_add(parent, 'd', elem, NULL, false);
	const VEnt *st = &vdata[VS_STREET].ents[street];
	int			loc = st->parent,
				reg = vdata[VS_LOCALITY].ents[loc].parent,
				cty = vdata[VS_REGION].ents[reg].parent;
	int			house = 1 + rng_below(rng, 120);

	vn_ref(a, "country", VS_COUNTRY, cty, true, true);
	vn_ref(a, "region", VS_REGION, reg, true, true);
	if (vdata[VS_LOCALITY].ents[loc].parent2 >= 0)
		vn_ref(a, "district", VS_DISTRICT, vdata[VS_LOCALITY].ents[loc].parent2, true, false);
	vn_ref(a, "locality", VS_LOCALITY, loc, true, true);
	vn_ref(a, "street", VS_STREET, street, false, true);
	vn_text(a, "house", "%d", house);
	if (rng_pct(rng, 30))
		vn_text(a, "building", "%d", 1 + rng_below(rng, 5));
	if (rng_pct(rng, 20))
		vn_text(a, "room", "%d", 1 + rng_below(rng, 300));
	if (rng_pct(rng, 80))
		vn_text(a, "postIndex", "%06d", 100000 + rng_below(rng, 800000));
	vn_text(a, "addressView", "%s, %s, %s, д. %d", vdata[VS_REGION].ents[reg].name,
			vdata[VS_LOCALITY].ents[loc].name, st->name, house);
}

static void
gln(char *dst, int a, int b)
{
	sprintf(dst, "46%05d%06d", a % 100000, b % 1000000);
}

/* The own fields (after the versioning ones) of version v of entity e. */
static void
vn_own(VNode *item, VSet set, int e, int v, Rng *rng)
{
	const VEnt *ent = &vdata[set].ents[e];
	int			k;

	switch (set)
	{
		case VS_COUNTRY:
			vn_text(item, "name", "%s", ent->name);
			vn_text(item, "fullName", "Государство %s", ent->name);
			if (rng_pct(rng, 70))
				vn_text(item, "englishName", "Country %d%s", e, v > 0 ? " (renamed)" : "");
			vn_text(item, "code", "%c%c", 'A' + e / 26 % 26, 'A' + e % 26);
			vn_text(item, "code3", "%c%c%c", 'A' + e / 26 % 26, 'A' + e % 26, 'X' + v % 3);
			break;
		case VS_REGION:
		case VS_DISTRICT:
		case VS_LOCALITY:
		case VS_STREET:
			{
				int			reg = set == VS_REGION ? e :
					set == VS_DISTRICT || set == VS_LOCALITY ? ent->parent :
					vdata[VS_LOCALITY].ents[ent->parent].parent;
				int			cty = vdata[VS_REGION].ents[reg].parent;

				vn_text(item, "name", "%s", ent->name);
				if (rng_pct(rng, 60))
					vn_text(item, "englishName", "%s %d", vsets[set].name, e);
				if (rng_pct(rng, 50))
					vn_text(item, "view", "%s", set == VS_REGION ? "обл" : set == VS_STREET ? "ул" : "р-н");
				if (rng_pct(rng, 70))
					vn_text(item, "regionCode", "%02d", 1 + reg % 99);
				vn_text(item, "type", "%s",
						set == VS_REGION ? region_types[ent->aux % 5] :
						set == VS_DISTRICT ? district_types[ent->aux % 3] :
						set == VS_LOCALITY ? locality_types[ent->aux % 4] :
						street_types[ent->aux % 5]);
				if (set == VS_REGION || rng_pct(rng, 85))
					vn_text(item, "countryGuid", "%s", vdata[VS_COUNTRY].ents[cty].guid);
				if (set != VS_STREET && rng_pct(rng, 75))
					vn_text(item, "hasStreets", "%s", set == VS_LOCALITY || rng_pct(rng, 30) ? "true" : "false");
				if (set == VS_DISTRICT || set == VS_LOCALITY)
					vn_text(item, "regionGuid", "%s", vdata[VS_REGION].ents[ent->parent].guid);
				if (set == VS_LOCALITY)
				{
					if (ent->parent2 >= 0)
						vn_text(item, "districtGuid", "%s", vdata[VS_DISTRICT].ents[ent->parent2].guid);
					if (ent->aux % 4 != 0 && e % 3 == 0)
						vn_text(item, "cityGuid", "%s", vdata[VS_LOCALITY].ents[e / 2].guid);
				}
				if (set == VS_STREET)
					vn_text(item, "localityGuid", "%s", vdata[VS_LOCALITY].ents[ent->parent].guid);
			}
			break;
		case VS_PURPOSE:
			vn_text(item, "name", "%s", ent->name);
			if (rng_pct(rng, 70))
				vn_text(item, "forSubstandard", "%s", (e + v) % 4 == 0 ? "true" : "false");
			break;
		case VS_METHOD:
		case VS_DISEASE:
			if (!(set == VS_DISEASE && e % 41 == 40))
				vn_text(item, "name", "%s%s", ent->name, v > 0 ? " (уточнено)" : "");
			break;
		case VS_PRODUCT:
			vn_text(item, "name", "%s", ent->name);
			vn_text(item, "code", "%02d.%02d", ent->aux, e);
			if (rng_pct(rng, 60))
				vn_text(item, "englishName", "Product %d", e);
			vn_text(item, "productType", "%d", ent->aux);
			break;
		case VS_SUBPRODUCT:
			vn_text(item, "name", "%s", ent->name);
			vn_text(item, "code", "%02d.%02d.%03d", vdata[VS_PRODUCT].ents[ent->parent].aux, ent->parent, e);
			if (rng_pct(rng, 40))
				vn_text(item, "englishName", "Sub-product %d", e);
			vn_text(item, "productGuid", "%s", vdata[VS_PRODUCT].ents[ent->parent].guid);
			break;
		case VS_PRODUCTITEM:
			{
				int			sub = ent->parent,
							prod = vdata[VS_SUBPRODUCT].ents[sub].parent;
				VNode	   *n;

				if (rng_pct(rng, 75))
					vn_text(item, "globalID", "%013d", 4600000 + e * 7 + v);
				vn_text(item, "name", "%s", ent->name);
				if (rng_pct(rng, 50))
					vn_text(item, "code", "ART-%d", e);
				vn_text(item, "productType", "%d", vdata[VS_PRODUCT].ents[prod].aux);
				vn_ref(item, "product", VS_PRODUCT, prod, true, false);
				vn_ref(item, "subProduct", VS_SUBPRODUCT, sub, true, false);
				if (rng_pct(rng, 80))
				{
					bool		gost = rng_pct(rng, 50);

					vn_text(item, "correspondsToGost", "%s", gost ? "true" : "false");
					if (gost)
						vn_text(item, "gost", "ГОСТ %d-%d", 30000 + e, 2010 + e % 12);
				}
				if (ent->parent2 >= 0)
					vn_ref(item, "producer", VS_BUSINESS, ent->parent2, true, true);
				if (e % 3 == 0)
					vn_ref(item, "tmOwner", VS_BUSINESS, (ent->parent2 + 1 + e) % vdata[VS_BUSINESS].nents, false, false);
				for (k = 0; k < ent->nlinks; k++)
				{
					n = vn_add(item, 'd', "producing", NULL, true);
					vn_ref(n, "location", VS_RUSENT, ent->links[k], true, true);
				}
				if (e % 4 != 3)
				{
					VNode	   *pt;

					n = vn_add(item, 'd', "packaging", NULL, false);
					pt = vn_add(n, 'd', "packagingType", NULL, false);
					{
						char		g[37];

						/* the packing type's guid is fixed per code */
						snprintf(g, sizeof(g), "00000000-0000-4000-b000-%012x", 1 + e % 5);
						vn_add(pt, 'b', "guid", g, false);
					}
					vn_text(pt, "globalID", "%s", (const char *[]) {"BX", "BG", "CT", "PK", "BO"}[e % 5]);
					vn_text(pt, "name", "%s", (const char *[]) {"Коробка", "Мешок", "Картон", "Упаковка", "Бутылка"}[e % 5]);
					if (e % 4 != 1)
						vn_text(n, "quantity", "%d", 1 + e % 50);
					if (e % 4 != 2)
						vn_text(n, "volume", "%d.%03d", e % 20, (e * 37) % 1000);
					if (e % 2 == 0)
					{
						VNode	   *u = vn_add(n, 'd', "unit", NULL, false);
						char		g[37];

						unit_uuid(g, '9', e % 30);
						vn_add(u, 'b', "guid", g, false);
						vn_text(u, "name", "unit %d", 3 * (e % 30) + 2);
					}
				}
				if (rng_pct(rng, 70))
					vn_text(item, "isPublic", "%s", e % 5 ? "true" : "false");
			}
			break;
		case VS_BUSINESS:
			{
				int			type = ent->aux;

				vn_text(item, "type", "%d", type);
				vn_text(item, "name", "%s", ent->name);
				if (type == 1 && e % 7 != 6)
				{
					VNode	   *f = vn_add(item, 'd', "incorporationForm", NULL, false);
					char		u[37];

					snprintf(u, sizeof(u), "00000000-0000-4000-c000-%012x", 1 + e % 4);
					vn_add(f, 'b', "uuid", u, false);
					vn_text(f, "name", "%s", inc_forms[e % 4][0]);
					vn_text(f, "code", "%s", inc_forms[e % 4][1]);
					vn_text(f, "shortName", "%s", inc_forms[e % 4][2]);
				}
				if (type == 1)
					vn_text(item, "fullName", "%s \"%s\"", inc_forms[e % 4][0], ent->name);
				else
					vn_text(item, "fio", "Иванов Иван %d", e);
				if (type == 2 && rng_pct(rng, 60))
					vn_text(item, "passport", "45 %02d %06d", e % 100, e * 13 % 1000000);
				vn_text(item, "inn", type == 1 ? "77%08d" : "77%010d", e * 7 + 1);
				if (type == 1)
					vn_text(item, "kpp", "7701%05d", e);
				if (rng_pct(rng, 80))
					vn_text(item, "ogrn", type == 1 ? "1027%09d" : "304%012d", e);
				if (e % 5 != 4)
					vn_address(item, "juridicalAddress", (e * 17 + v) % vdata[VS_STREET].nents, rng);
				for (k = 0; k < ent->nlinks; k++)
				{
					VNode	   *l = vn_add(item, 'd', "activityLocation", NULL, true);
					int			g,
								ng = (e + k) % 3;	/* 0, 1 or 2 GLNs */
					char		code[20];

					for (g = 0; g < ng; g++)
					{
						gln(code, ent->links[k], g);
						vn_add(l, 'd', "globalID", code, true);
					}
					vn_ref(l, "enterprise", VS_RUSENT, ent->links[k], true, true);
				}
			}
			break;
		case VS_RUSENT:
		case VS_FOREIGNENT:
			{
				VNode	   *n;
				int			nn = e % 4;	/* 0..3 numbers, 3: no numberList */

				vn_text(item, "name", "%s", ent->name);
				if (set == VS_FOREIGNENT || rng_pct(rng, 20))
					vn_text(item, "englishName", "Enterprise %d-%d", set, e);
				vn_text(item, "type", "%d", 1 + ent->aux % 2);
				if (nn < 3)
				{
					n = vn_add(item, 'd', "numberList", NULL, false);
					for (k = 0; k < nn; k++)
					{
						char		num[40];

						snprintf(num, sizeof(num), "%s%d-%d", set == VS_RUSENT ? "RU-" : "EU-", e, k);
						vn_add(n, 'd', "enterpriseNumber", num, true);
					}
				}
				if (set == VS_RUSENT)
					vn_address(item, "address", russian_street(e * 31 + v), rng);
				else
				{
					n = vn_add(item, 'd', "address", NULL, false);
					vn_ref(n, "country", VS_COUNTRY, ent->parent, true, true);
					vn_text(n, "addressView", "Foreign address %d", e);
					if (e % 2)
						vn_text(n, "enAddressView", "%d Main street", e);
				}
				if (e % 5 != 0)
				{
					n = vn_add(item, 'd', "activityList", NULL, false);
					for (k = 0; k < e % 5 - 1; k++)
					{
						VNode	   *a = vn_add(n, 'd', "activity", NULL, true);
						char		u[37];

						snprintf(u, sizeof(u), "00000000-0000-4000-d000-%012x", 1 + (e + k) % 6);
						vn_add(a, 'b', "uuid", u, false);
						vn_text(a, "name", "%s", activities[(e + k) % 6]);
					}
				}
				if (ent->parent2 >= 0)
					vn_ref(item, "owner", VS_BUSINESS, ent->parent2, true, true);
				if (set == VS_RUSENT)
				{
					for (k = 0; k < e % 3; k++)
					{
						VNode	   *r = vn_add(item, 'd', "officialRegistration", NULL, true);

						if (k == 0)
							vn_text(r, "ID", "REG-%d", e);
						vn_ref(r, "businessEntity", VS_BUSINESS, (e + k) % vdata[VS_BUSINESS].nents, false, false);
						vn_text(r, "kpp", "7702%05d", e * 3 + k);
					}
				}
				if (e % 6 != 5)
					vn_text(item, "registryStatus", "%s",
							(const char *[]) {"VERIFIED", "UNVERIFIED", "VERIFIED", "CANCELED", "DELETED"}[e % 5]);
			}
			break;
		default:
			break;
	}
}

static void
item_render(VItem *it, VNode *root)
{
	Buf			b = {0};

	vn_xml(&b, root, false);
	buf_puts(&b, "\n");
	it->xml = b.data;
	it->xml_len = b.len;
	memset(&b, 0, sizeof(b));
	vn_xml(&b, root, true);
	buf_puts(&b, "\n");
	it->xml1 = b.data;
	it->xml1_len = b.len;
	memset(&b, 0, sizeof(b));
	vn_json(&b, root->child);
	it->json = b.data;
	vn_free(root);
}

static int
item_cmp(const void *a, const void *b)
{
	const VItem *x = a,
			   *y = b;

	if (x->update != y->update)
		return x->update < y->update ? -1 : 1;
	if (x->ent != y->ent)
		return x->ent < y->ent ? -1 : 1;
	return x->version - y->version;
}

/* Picks a parent: a third of the time the first one (a long keyed list). */
static int
pick_parent(Rng *rng, int n, int skew)
{
	return rng_pct(rng, skew) ? 0 : rng_below(rng, n > 1 ? n - 1 : 1);
}

static void
vetis_entities(VSet set, Rng *rng)
{
	VData	   *d = &vdata[set];
	int			n = vsets[set].entities,
				e;

	d->nents = n;
	d->ents = xrealloc(NULL, sizeof(VEnt) * (n > 0 ? n : 1));
	memset(d->ents, 0, sizeof(VEnt) * (n > 0 ? n : 1));
	for (e = 0; e < n; e++)
	{
		VEnt	   *ent = &d->ents[e];

		rng_uuid(rng, ent->guid);
		ent->parent = ent->parent2 = -1;
		ent->aux = rng_below(rng, 1000);
		/* half one version, the rest two to four; entity 0 always current */
		ent->versions = rng_pct(rng, 50) ? 1 : 2 + rng_below(rng, 3);
		ent->deleted = e > 0 && rng_pct(rng, 7);
		switch (set)
		{
			case VS_COUNTRY:
				snprintf(ent->name, sizeof(ent->name), e == 0 ? "Россия" : "Страна %d", e);
				break;
			case VS_REGION:
				ent->parent = pick_parent(rng, vdata[VS_COUNTRY].nents, 50);
				snprintf(ent->name, sizeof(ent->name), "Регион %d", e);
				break;
			case VS_DISTRICT:
				ent->parent = pick_parent(rng, vdata[VS_REGION].nents, 35);
				snprintf(ent->name, sizeof(ent->name), "Район %d", e);
				break;
			case VS_LOCALITY:
				if (rng_pct(rng, 60))
				{
					ent->parent2 = pick_parent(rng, vdata[VS_DISTRICT].nents, 30);
					ent->parent = vdata[VS_DISTRICT].ents[ent->parent2].parent;
				}
				else
					ent->parent = pick_parent(rng, vdata[VS_REGION].nents, 30);
				snprintf(ent->name, sizeof(ent->name), "Населённый пункт %d", e);
				break;
			case VS_STREET:
				ent->parent = pick_parent(rng, vdata[VS_LOCALITY].nents, 30);
				snprintf(ent->name, sizeof(ent->name), "Улица %d", e);
				break;
			case VS_PURPOSE:
				snprintf(ent->name, sizeof(ent->name), e % 50 == 7 ? "Цель \"особая\" & <прочая> %d" : "Цель %d", e);
				break;
			case VS_METHOD:
				snprintf(ent->name, sizeof(ent->name), "Метод исследования %d", e);
				break;
			case VS_DISEASE:
				snprintf(ent->name, sizeof(ent->name), "Болезнь %d", e);
				break;
			case VS_PRODUCT:
				ent->aux = 1 + e % 8;
				snprintf(ent->name, sizeof(ent->name), "Продукция %d", e);
				break;
			case VS_SUBPRODUCT:
				ent->parent = pick_parent(rng, vdata[VS_PRODUCT].nents, 60);
				snprintf(ent->name, sizeof(ent->name), "Вид продукции %d", e);
				break;
			case VS_PRODUCTITEM:
				{
					int			k;

					ent->parent = pick_parent(rng, vdata[VS_SUBPRODUCT].nents, 10);
					ent->parent2 = e % 6 == 5 ? -1 : pick_parent(rng, vsets[VS_BUSINESS].entities, 20);
					ent->nlinks = e % 4;
					ent->links = xrealloc(NULL, sizeof(int) * 4);
					for (k = 0; k < ent->nlinks; k++)
						ent->links[k] = rng_below(rng, vsets[VS_RUSENT].entities);
					snprintf(ent->name, sizeof(ent->name), "Товар %d", e);
				}
				break;
			case VS_BUSINESS:
				{
					int			k;

					ent->aux = e % 10 < 6 ? 1 : e % 10 < 9 ? 2 : 3;
					/* activity locations: 250 for the first, else 0 to 3 */
					ent->nlinks = e == 0 ? 250 : e % 4;
					ent->links = xrealloc(NULL, sizeof(int) * (ent->nlinks + 1));
					for (k = 0; k < ent->nlinks; k++)
						ent->links[k] = e == 0 ? k : rng_below(rng, vsets[VS_RUSENT].entities);
					if (ent->aux == 1)
						snprintf(ent->name, sizeof(ent->name), e % 60 == 13 ? "Рога & копыта %d" : "Организация %d", e);
					else
						snprintf(ent->name, sizeof(ent->name), "Иванов Иван %d", e);
				}
				break;
			case VS_RUSENT:
			case VS_FOREIGNENT:
				ent->parent = set == VS_RUSENT ? 0 : 1 + rng_below(rng, vdata[VS_COUNTRY].nents - 1);
				ent->parent2 = e % 7 == 6 ? -1 : rng_below(rng, vsets[VS_BUSINESS].entities);
				snprintf(ent->name, sizeof(ent->name), "%s %d",
						 set == VS_RUSENT ? "Предприятие" : "Foreign plant", e);
				break;
			default:
				break;
		}
		if (ent->deleted && ent->versions == 1)
			ent->versions = 2;
	}
}

/*
 * Version uuids and update times of every entity, decided before any item
 * is rendered, since items refer to the newest version of others.
 */
static void
vetis_versions(VSet set, Rng *rng)
{
	VData	   *d = &vdata[set];
	int64_t		prev_t0 = VETIS_BASE;
	int			e,
				v;

	for (e = 0; e < d->nents; e++)
	{
		VEnt	   *ent = &d->ents[e];
		int64_t		t;

		ent->uuids = xrealloc(NULL, sizeof(*ent->uuids) * ent->versions);
		ent->times = xrealloc(NULL, sizeof(int64_t) * ent->versions);
		/* whole hours over 400 days; some share the instant of the one before */
		t = e > 0 && rng_pct(rng, 8) ? prev_t0 :
			VETIS_BASE + (int64_t) rng_below(rng, 400 * 24) * 3600;
		prev_t0 = t;
		for (v = 0; v < ent->versions; v++)
		{
			rng_uuid(rng, ent->uuids[v]);
			ent->times[v] = t;
			t += (int64_t) (1 + rng_below(rng, 60 * 24)) * 3600;
		}
		memcpy(ent->last_uuid, ent->uuids[ent->versions - 1], 37);
	}
}

/* Renders every version of every entity of a set; sorts them by update. */
static void
vetis_items(VSet set, Rng *rng)
{
	VData	   *d = &vdata[set];
	int			e,
				v,
				n = 0;

	for (e = 0; e < d->nents; e++)
		n += d->ents[e].versions;
	d->items = xrealloc(NULL, sizeof(VItem) * (n > 0 ? n : 1));
	d->nitems = n;
	d->plain = xrealloc(NULL, sizeof(int) * (d->nents > 0 ? d->nents : 1));
	n = 0;
	for (e = 0; e < d->nents; e++)
	{
		VEnt	   *ent = &d->ents[e];

		for (v = 0; v < ent->versions; v++)
		{
			VItem	   *it = &d->items[n++];
			VNode	   *root = vn_add(NULL, 'd', vsets[set].item, NULL, false);

			memset(it, 0, sizeof(*it));
			it->update = ent->times[v];
			it->ent = e;
			it->version = v;
			it->current = v == ent->versions - 1 && !ent->deleted;
			vn_versioning(root, set, e, v, ent->uuids[v],
						  v > 0 ? ent->uuids[v - 1] : NULL,
						  v < ent->versions - 1 ? ent->uuids[v + 1] : NULL,
						  ent->times[0], ent->times[v]);
			vn_own(root, set, e, v, rng);
			switch (set)
			{
				case VS_REGION:
					it->key = vdata[VS_COUNTRY].ents[ent->parent].guid;
					break;
				case VS_DISTRICT:
					it->key = vdata[VS_REGION].ents[ent->parent].guid;
					break;
				case VS_LOCALITY:
					it->key = vdata[VS_REGION].ents[ent->parent].guid;
					if (ent->parent2 >= 0)
						it->key2 = vdata[VS_DISTRICT].ents[ent->parent2].guid;
					break;
				case VS_STREET:
					it->key = vdata[VS_LOCALITY].ents[ent->parent].guid;
					break;
				case VS_PRODUCT:
					{
						static const char *const types[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8"};

						it->key = types[ent->aux];
					}
					break;
				case VS_SUBPRODUCT:
					it->key = vdata[VS_PRODUCT].ents[ent->parent].guid;
					break;
				case VS_PRODUCTITEM:
					if (ent->parent2 >= 0)
						it->key = vdata[VS_BUSINESS].ents[ent->parent2].guid;
					break;
				default:
					break;
			}
			item_render(it, root);
		}
	}
	qsort(d->items, d->nitems, sizeof(VItem), item_cmp);
	/* the plain lists: current versions (one per entity at most) in entity order */
	for (e = 0; e < d->nents; e++)
		d->plain[e] = -1;
	for (n = 0; n < d->nitems; n++)
		if (d->items[n].current)
			d->plain[d->items[n].ent] = n;
	d->nplain = 0;
	for (e = 0; e < d->nents; e++)
		if (d->plain[e] >= 0)
			d->plain[d->nplain++] = d->plain[e];
}

/* Activity locations: one per activityLocation of a current business entity. */
static void
vetis_locations(Rng *rng)
{
	VData	   *be = &vdata[VS_BUSINESS],
			   *d = &vdata[VS_LOCATION];
	int			e,
				k,
				n = 0;

	for (e = 0; e < be->nents; e++)
		n += be->ents[e].nlinks;
	d->items = xrealloc(NULL, sizeof(VItem) * (n > 0 ? n : 1));
	d->plain = xrealloc(NULL, sizeof(int) * (n > 0 ? n : 1));
	d->nitems = d->nplain = 0;
	for (e = 0; e < be->nents; e++)
	{
		const VEnt *ent = &be->ents[e];

		if (ent->deleted)
			continue;
		for (k = 0; k < ent->nlinks; k++)
		{
			VItem	   *it = &d->items[d->nitems];
			VNode	   *root = vn_add(NULL, 'd', "location", NULL, false);
			int			g,
						ng = (e + k) % 3;
			char		code[20];

			memset(it, 0, sizeof(*it));
			it->ent = e;
			it->version = k;
			it->current = true;
			it->key = ent->guid;
			vn_ref(root, "businessEntity", VS_BUSINESS, e, true, true);
			vn_ref(root, "enterprise", VS_RUSENT, ent->links[k], true, true);
			for (g = 0; g < ng; g++)
			{
				gln(code, ent->links[k], g);
				vn_add(root, 'd', "globalID", code, true);
			}
			item_render(it, root);
			d->plain[d->nplain++] = d->nitems++;
		}
	}
	(void) rng;
}

static void
vetis_init(void)
{
	/* parents before children, referenced sets before referring ones */
	static const VSet order[] = {
		VS_COUNTRY, VS_REGION, VS_DISTRICT, VS_LOCALITY, VS_STREET,
		VS_PURPOSE, VS_METHOD, VS_DISEASE, VS_PRODUCT, VS_SUBPRODUCT,
		VS_BUSINESS, VS_RUSENT, VS_FOREIGNENT, VS_PRODUCTITEM
	};
	size_t		k;

	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
	{
		Rng			rng = {vetis_seed * 1000 + order[k]};

		vetis_entities(order[k], &rng);
		vetis_versions(order[k], &rng);
	}
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
	{
		Rng			rng = {vetis_seed * 1000 + 100 + order[k]};

		vetis_items(order[k], &rng);
	}
	{
		Rng			rng = {vetis_seed * 1000 + 100 + VS_LOCATION};

		vetis_locations(&rng);
	}
}

/* ---------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------
 */
typedef struct VRequest
{
	char		root[FIELD_MAX];	/* local name of the Body's element */
	int			roots;			/* elements directly under Body */
	char		count[FIELD_MAX];
	char		offset[FIELD_MAX];
	char		begin[FIELD_MAX];
	char		end[FIELD_MAX];
	bool		interval;		/* updateDateInterval present */
	char		key[FIELD_MAX];	/* the keyed list's key, or productItem's
								 * businessEntity/guid */
	int			keys;			/* occurrences of the key element */
} VRequest;

static void
vetis_walk(xmlNode *node, const char *parent, int depth, const char *keyname, VRequest *vr)
{
	for (; node; node = node->next)
	{
		const char *name = (const char *) node->name;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp(parent, "Body") == 0)
		{
			if (vr->roots++ == 0)
				snprintf(vr->root, sizeof(vr->root), "%s", name);
			vetis_walk(node->children, name, 0, keyname, vr);
			continue;
		}
		if (depth == 0 && strcmp(name, "updateDateInterval") == 0)
			vr->interval = true;
		if (depth == 1 && strcmp(parent, "listOptions") == 0 && strcmp(name, "count") == 0)
			xml_text(node, vr->count);
		else if (depth == 1 && strcmp(parent, "listOptions") == 0 && strcmp(name, "offset") == 0)
			xml_text(node, vr->offset);
		else if (depth == 1 && strcmp(parent, "updateDateInterval") == 0 && strcmp(name, "beginDate") == 0)
			xml_text(node, vr->begin);
		else if (depth == 1 && strcmp(parent, "updateDateInterval") == 0 && strcmp(name, "endDate") == 0)
			xml_text(node, vr->end);
		else if (keyname && depth == 0 && strcmp(name, keyname) == 0 &&
				 strcmp(keyname, "businessEntity") != 0)
		{
			vr->keys++;
			xml_text(node, vr->key);
		}
		else if (keyname && depth == 1 && strcmp(parent, "businessEntity") == 0 &&
				 strcmp(keyname, "businessEntity") == 0 && strcmp(name, "guid") == 0)
		{
			vr->keys++;
			xml_text(node, vr->key);
		}
		if (depth < 1)
			vetis_walk(node->children, name, depth + 1, keyname, vr);
	}
}

/* finds Body at any depth below the root, then walks the request */
static void
vetis_find_body(xmlNode *node, const char *keyname, VRequest *vr)
{
	for (; node; node = node->next)
	{
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *) node->name, "Body") == 0)
			vetis_walk(node->children, "Body", 0, keyname, vr);
		else
			vetis_find_body(node->children, keyname, vr);
	}
}

/* The operation whose request element is root ("getXRequest"), or NULL. */
static const VOp *
vetis_op_by_request(const char *root)
{
	const VOp  *op;
	size_t		n = strlen(root);

	if (n < 11 || strncmp(root, "get", 3) != 0 || strcmp(root + n - 7, "Request") != 0)
		return NULL;
	for (op = vops; op->op; op++)
		if (strlen(op->op) == n - 7 && strncmp(op->op + 3, root + 3, n - 10) == 0)
			return op;
	return NULL;
}

/* Returns NULL on success, else a short reason for the log. */
static const char *
vetis_parse(const Buf *body, VRequest *vr, const VOp **op)
{
	xmlDoc	   *doc;

	memset(vr, 0, sizeof(*vr));
	*op = NULL;
	if (body->len == 0)
		return "empty-body";
	doc = xmlReadMemory(body->data, (int) body->len, "request.xml", NULL,
						XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return "malformed-xml";
	vetis_find_body(xmlDocGetRootElement(doc), NULL, vr);
	*op = vetis_op_by_request(vr->root);
	if (*op)
	{
		const char *keyname = (*op)->key;

		/* productItem changes: optional dt:businessEntity/bs:guid filter */
		if ((*op)->set == VS_PRODUCTITEM)
			keyname = "businessEntity";
		memset(vr, 0, sizeof(*vr));
		vetis_find_body(xmlDocGetRootElement(doc), keyname, vr);
	}
	xmlFreeDoc(doc);
	if (vr->roots == 0)
		return "no-request";
	if (vr->roots > 1)
		return "several-requests";
	return *op ? NULL : "unknown-request";
}

static bool
is_guid(const char *s)
{
	int			k;

	if (strlen(s) != 36)
		return false;
	for (k = 0; k < 36; k++)
	{
		if (k == 8 || k == 13 || k == 18 || k == 23)
		{
			if (s[k] != '-')
				return false;
		}
		else if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
			return false;
	}
	return true;
}

/* Does the set hold an entity with this guid (any version, deleted too)? */
static bool
vetis_known(VSet set, const char *guid)
{
	int			e;

	for (e = 0; e < vdata[set].nents; e++)
		if (strcmp(vdata[set].ents[e].guid, guid) == 0)
			return true;
	return false;
}

/* Plain list of units: the current records of mock_api.c's arithmetic set. */
static int64_t
unit_plain_count(void)
{
	return n_units / 3 + (n_units % 3 != 0);
}

static int64_t
unit_plain_record(int64_t k)
{
	return k < n_units / 3 ? 3 * k + 2 : n_units - 1;
}

/*
 * The selection of a request already checked: indexes into the set's
 * items (NULL for units), its length in *total.
 */
static int *
vetis_select(const VOp *op, const VRequest *vr, int64_t begin, const int64_t *end,
			 int64_t *total)
{
	const VData *d = &vdata[op->set];
	int		   *sel;
	int			k,
				n = 0;

	if (op->set == VS_UNIT)
	{
		*total = unit_plain_count();
		return NULL;
	}
	sel = xrealloc(NULL, sizeof(int) * (d->nitems + 1));
	if (op->kind == VK_CHANGES)
	{
		for (k = 0; k < d->nitems; k++)
		{
			const VItem *it = &d->items[k];

			/* beginDate <= updateDate < endDate */
			if (it->update * 1000000 < begin)
				continue;
			if (end && it->update * 1000000 >= *end)
				continue;
			if (vr->key[0] && !(it->key && strcmp(it->key, vr->key) == 0))
				continue;
			sel[n++] = k;
		}
	}
	else
	{
		for (k = 0; k < d->nplain; k++)
		{
			const VItem *it = &d->items[d->plain[k]];

			if (op->kind == VK_KEYED)
			{
				const char *key = op->key_field ? it->key2 : it->key;

				if (!(key && strcmp(key, vr->key) == 0))
					continue;
			}
			sel[n++] = d->plain[k];
		}
	}
	*total = n;
	return sel;
}

/* Answers with total and hasMore, or only one of them, or neither. */
static void
vetis_list_attrs(Buf *b, const Scenario *sc, bool v1, int64_t n, int64_t total,
				 int64_t offset)
{
	buf_printf(b, " count=\"%" PRId64 "\"", n);
	if (sc->kind != SC_HASMORE && sc->kind != SC_NO_TOTALS &&
		sc->kind != SC_HASMORE_SHORT)
		buf_printf(b, " total=\"%" PRId64 "\"", total);
	buf_printf(b, " offset=\"%" PRId64 "\"", offset);
	if (!v1 && sc->kind != SC_TOTAL_ONLY && sc->kind != SC_NO_TOTALS)
		buf_printf(b, " hasMore=\"%s\"", offset + n < total ? "true" : "false");
}

/* One page of a checked request; *items = records on it. */
static void
vetis_page(const Scenario *sc, const VOp *op, const VRequest *vr, int64_t count,
		   int64_t offset, int64_t begin, const int64_t *end, Reply *r,
		   int64_t *items, int64_t *total)
{
	bool		v1 = sc->kind == SC_V1;
	const char *p = v1 ? "argc" : "dt";
	int		   *sel = vetis_select(op, vr, begin, end, total);
	int64_t		n,
				k;

	if (offset > 0 && offset >= *total)
	{
		free(sel);
		mercury_fault(r, FAULT_OFFSET, "offset is out of range");
		return;
	}
	n = sc->kind == SC_SHORT_PAGES || sc->kind == SC_HASMORE_SHORT ?
		(count / 2 > 0 ? count / 2 : 1) : count;
	if (n > *total - offset)
		n = *total - offset;
	*items = n;
	r->status = 200;
	r->content_type = CT_XML;
	buf_printf(&r->body,
			   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<soap:Envelope xmlns:soap=\"" NS_SOAP "\"><soap:Body>"
			   "<ws:g%sResponse xmlns:ws=\"" NS_WS_V2 "\" %s>\n<%s:%s",
			   op->op + 1,
			   v1 ? "xmlns:argc=\"" NS_ARGC "\"" : "xmlns:bs=\"" NS_BS "\" xmlns:dt=\"" NS_DT "\"",
			   p, op->list);
	vetis_list_attrs(&r->body, sc, v1, n, *total, offset);
	buf_puts(&r->body, ">\n");
	for (k = offset; k < offset + n; k++)
	{
		if (op->set == VS_UNIT)
			mercury_units(&r->body, v1, unit_plain_record(k), 1, -1, -1);
		else
		{
			const VItem *it = &vdata[op->set].items[sel[k]];

			if (v1)
				buf_append(&r->body, it->xml1, it->xml1_len);
			else
				buf_append(&r->body, it->xml, it->xml_len);
		}
	}
	buf_printf(&r->body, "</%s:%s></ws:g%sResponse></soap:Body></soap:Envelope>\n",
			   p, op->list, op->op + 1);
	free(sel);
}

/*
 * POST to a service path (or the legacy /mercury/SCENARIO path with a
 * request other than getUnitChangesListRequest).  service is the path's
 * service name, NULL on the legacy path (any operation is accepted).
 */
static void
mercury_vetis(struct MHD_Connection *conn, const char *method, const Scenario *sc,
			  const char *service, const Buf *body, Reply *r, Buf *log)
{
	VRequest	vr;
	const VOp  *op;
	const char *error;
	char	   *user,
			   *password = NULL;
	bool		auth_ok;
	int64_t		count,
				offset,
				begin = 0,
				end = 0,
				total = -1,
				items = 0;

	/* the units' hot path (the benchmark's): no second parse */
	if ((service == NULL || strcmp(service, "DictionaryService") == 0) &&
		body->data && strstr(body->data, "getUnitChangesListRequest"))
	{
		mercury_unit_changes(conn, method, sc, body, r, log);
		return;
	}
	error = vetis_parse(body, &vr, &op);
	count = vr.count[0] ? parse_count(vr.count) : 100;
	offset = vr.offset[0] ? parse_count(vr.offset) : 0;

	/*
	 * Units, and on the legacy path anything that is not another list
	 * request: mock_api.c's handler, its log line and its speed.
	 */
	if ((op && op->set == VS_UNIT && op->kind == VK_CHANGES &&
		 (service == NULL || strcmp(service, op->service) == 0)) ||
		(service == NULL && op == NULL))
	{
		mercury_unit_changes(conn, method, sc, body, r, log);
		return;
	}

	user = MHD_basic_auth_get_username_password(conn, &password);
	auth_ok = user && password && strcmp(user, "test-user") == 0 &&
		strcmp(password, cred_password) == 0;
	MHD_free(user);
	MHD_free(password);

	if (!error && service && strcmp(service, op->service) != 0)
		error = "wrong-service";

	if (sc->kind == SC_STATUS)
		reply_status(r, sc->arg);
	else if (strcmp(method, "POST") != 0)
	{
		reply_text(r, 405, "mock: VetIS services need POST");
		error = "method-not-allowed";
	}
	else if (!auth_ok)
	{
		reply_text(r, 401, "mock: HTTP Basic authentication required");
		r->basic_challenge = true;
	}
	else if (error)
	{
		char		message[160];

		snprintf(message, sizeof(message), "Request is not a valid request of %s (%s)",
				 service ? service : "the VetIS services", error);
		mercury_fault(r, FAULT_INCORRECT, message);
	}
	else if (sc->kind == SC_FAULT)
	{
		char		message[64];

		snprintf(message, sizeof(message), "mock fault: %s", faults[sc->arg].name);
		mercury_fault(r, sc->arg, message);
	}
	else if (sc->kind == SC_GARBAGE)
	{
		r->status = 200;
		r->content_type = CT_XML;
		buf_puts(&r->body, "<soap:Envelope xmlns:soap=\"" NS_SOAP "\"><soap:Body><unclosed");
	}
	else if (count < 1 || count > 1000)
		mercury_fault(r, FAULT_INCORRECT, "listOptions/count must be between 1 and 1000");
	else if (offset < 0)
		mercury_fault(r, FAULT_INCORRECT, "listOptions/offset must be a non-negative integer");
	else if (op->kind == VK_CHANGES && (!vr.begin[0] || !parse_datetime(vr.begin, &begin)))
		mercury_fault(r, FAULT_INCORRECT, "updateDateInterval/beginDate is missing or invalid");
	else if (op->kind == VK_CHANGES && vr.end[0] && !parse_datetime(vr.end, &end))
		mercury_fault(r, FAULT_INCORRECT, "updateDateInterval/endDate is invalid");
	else if (op->kind != VK_CHANGES && vr.interval)
		mercury_fault(r, FAULT_INCORRECT, "updateDateInterval is not an element of this request");
	else if (op->kind == VK_KEYED && vr.keys != 1)
		mercury_fault(r, FAULT_INCORRECT, vr.keys ? "the key element is repeated" :
					  "the key element is missing");
	else if (vr.keys > 1)
		mercury_fault(r, FAULT_INCORRECT, "businessEntity is repeated");
	else if (op->key_set == VS_COUNT && op->kind == VK_KEYED &&
			 !(strlen(vr.key) == 1 && vr.key[0] >= '1' && vr.key[0] <= '8'))
		mercury_fault(r, FAULT_INCORRECT, "productType must be an integer from 1 to 8");
	else if (vr.keys && op->key_set != VS_COUNT && !is_guid(vr.key))
		mercury_fault(r, FAULT_INCORRECT, "the key is not a guid");
	else if (op->not_found && !vetis_known(op->key_set, vr.key))
		mercury_fault(r, FAULT_NOTFOUND, "no entity with this guid");
	else
	{
		Buf			page = {0};
		char		self[200];
		const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");

		vetis_page(sc, op, &vr, count, offset, begin, vr.end[0] ? &end : NULL, r,
				   &items, &total);
		if (r->status == 200 && sc->kind == SC_TRUNCATED)
			r->body.len /= 2;
		buf_printf(&page, "%s %s %s %s %s %s", op->op, vr.count, vr.offset, vr.begin,
				   vr.end, vr.key);
		snprintf(self, sizeof(self), "http://%.60s/mercury/ok", host ? host : "127.0.0.1");
		if (misbehave(sc, true, page.data, self, r))
			items = 0;
		free(page.data);
	}

	buf_puts(log, "mercury ");
	buf_word(log, op ? op->op : vr.root);
	buf_puts(log, " service=");
	buf_word(log, service);
	if (error)
	{
		buf_printf(log, " status=%d error=%s", r->status, error);
		return;
	}
	buf_puts(log, " count=");
	buf_word(log, vr.count[0] ? vr.count : "100");
	buf_puts(log, " offset=");
	buf_word(log, vr.offset[0] ? vr.offset : "0");
	buf_puts(log, " begin=");
	buf_word(log, vr.begin);
	buf_puts(log, " end=");
	buf_word(log, vr.end);
	buf_puts(log, " key=");
	buf_word(log, vr.key);
	buf_puts(log, " ");
	log_status(log, r);
	buf_printf(log, " items=%" PRId64 " total=", items);
	if (total >= 0)
		buf_printf(log, "%" PRId64, total);
	else
		buf_puts(log, "-");
}

/*
 * The path after /mercury/SCENARIO (or the whole path for
 * /platform/services/…): "" or "/" is the legacy endpoint; otherwise an
 * optional "/platform/services/2.1" and then "/SERVICE".  Returns false if
 * it is neither; *service is NULL for the legacy endpoint.
 */
static bool
vetis_route(const char *path, const char **service)
{
	static const char *const services[] = {
		"DictionaryService", "ProductService", "EnterpriseService", "IkarService", NULL
	};
	int			k;

	*service = NULL;
	if (strcmp(path, "") == 0 || strcmp(path, "/") == 0)
		return true;
	if (strncmp(path, "/platform/services/2.1/", 23) == 0)
		path += 22;
	for (k = 0; services[k]; k++)
		if (path[0] == '/' && strcmp(path + 1, services[k]) == 0)
		{
			*service = services[k];
			return true;
		}
	return false;
}

/* GET /_vetis/SET: the set's items as JSON, one a line (the tests' truth). */
static void
vetis_truth(const char *name, Reply *r)
{
	int			s,
				k;
	int		   *plain;

	for (s = 0; s < VS_COUNT; s++)
		if (strcmp(name, vsets[s].name) == 0)
			break;
	if (s == VS_COUNT)
	{
		reply_text(r, 404, "mock: unknown VetIS set");
		return;
	}
	plain = xrealloc(NULL, sizeof(int) * (vdata[s].nitems + 1));
	for (k = 0; k < vdata[s].nitems; k++)
		plain[k] = -1;
	for (k = 0; k < vdata[s].nplain; k++)
		plain[vdata[s].plain[k]] = k;
	reply_text(r, 200, "%s", "");
	for (k = 0; k < vdata[s].nitems; k++)
	{
		const VItem *it = &vdata[s].items[k];

		buf_printf(&r->body, "{\"seq\": %d, \"current\": %s, \"key\": ", k,
				   it->current ? "true" : "false");
		if (it->key)
			json_string(&r->body, it->key);
		else
			buf_puts(&r->body, "null");
		buf_puts(&r->body, ", \"key2\": ");
		if (it->key2)
			json_string(&r->body, it->key2);
		else
			buf_puts(&r->body, "null");
		buf_printf(&r->body, ", \"plain\": %d, \"item\": %s}\n", plain[k], it->json);
	}
	free(plain);
}
