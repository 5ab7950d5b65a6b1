# paged_fdw: PGXS build.  protobuf-c C code is generated from proto/ at
# build time and never committed.

# The Diadoc schema, one file per protobuf package (as in the SDK).
PB_NAMES = diadoc diadoc_participant_type diadoc_documents diadoc_events diadoc_docflow \
	diadoc_time_filter diadoc_docflow_events diadoc_search
PB_SRCS = $(PB_NAMES:%=proto/%.pb-c.c)
PB_HDRS = $(PB_NAMES:%=proto/%.pb-c.h)
PB_OBJS = $(PB_NAMES:%=proto/%.pb-c.o)

MODULE_big = paged_fdw
OBJS = \
	paged_fdw.o \
	src/options.o \
	src/quals.o \
	src/pager.o \
	src/http.o \
	src/resource.o \
	src/diadoc.o \
	src/diadoc_docs.o \
	src/diadoc_events.o \
	src/diadoc_search.o \
	src/oidc.o \
	src/oidc_answer.o \
	src/mercury.o \
	src/vetis_ops.o \
	src/xmlscan.o \
	src/stats.o \
	$(PB_OBJS)

EXTENSION = paged_fdw
DATA = sql/paged_fdw--1.0.sql sql/paged_fdw--1.0--1.1.sql sql/paged_fdw--1.1.sql
PGFILEDESC = "paged_fdw - foreign data wrapper for paginated web APIs"

REGRESS = options diadoc diadoc_versions diadoc_events diadoc_auth diadoc_search mercury vetis vetis_differential vetis_sync pushdown conditions partitions differential faults security speed stats import upgrade async parallel
REGRESS_OPTS = --load-extension=paged_fdw

XML2_CFLAGS := $(shell pkg-config --cflags libxml-2.0)
XML2_LIBS := $(shell pkg-config --libs libxml-2.0)
PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/proto $(XML2_CFLAGS)
SHLIB_LINK = -lcurl -lprotobuf-c $(XML2_LIBS)

EXTRA_CLEAN = $(PB_SRCS) $(PB_HDRS) \
	test/mock_api/mock_api test/mock_api/*.o test/bench/baseline test/bench/xmlscan_bench

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

proto/%.pb-c.c proto/%.pb-c.h: proto/%.proto
	protoc-c --proto_path=$(srcdir)/proto --c_out=proto $<

# Generated headers include the ones of the files they import.
proto/diadoc_documents.pb-c.h: proto/diadoc_participant_type.pb-c.h
proto/diadoc_docflow.pb-c.h: proto/diadoc.pb-c.h proto/diadoc_documents.pb-c.h proto/diadoc_events.pb-c.h
proto/diadoc_time_filter.pb-c.h: proto/diadoc.pb-c.h
proto/diadoc_docflow_events.pb-c.h: proto/diadoc_time_filter.pb-c.h proto/diadoc_docflow.pb-c.h
proto/diadoc_search.pb-c.h: proto/diadoc.pb-c.h proto/diadoc_docflow.pb-c.h

# Everything that includes the generated headers waits for them.
src/diadoc.o src/diadoc_docs.o src/diadoc_events.o src/diadoc.bc src/diadoc_docs.bc src/diadoc_events.bc: $(PB_HDRS) src/diadoc_docs.h src/diadoc.h
src/diadoc_search.o src/diadoc_search.bc: $(PB_HDRS) src/diadoc.h src/diadoc_docs.h
$(PB_OBJS): $(PB_HDRS)
# The table of VetIS operations is expanded in these.
src/mercury.o src/vetis_ops.o src/resource.o src/mercury.bc src/vetis_ops.bc src/resource.bc: src/vetis.h src/resource.h
# The scanner's leaf run is instantiated in both.
src/xmlscan.o src/mercury.o src/xmlscan.bc src/mercury.bc: src/xmlscan.h src/xmlscan_run.h

# The mock API server used by the tests and the demo.
MOCK_CFLAGS = -O2 -g -Wall -Wextra -Wno-unused-parameter -Iproto $(XML2_CFLAGS)
MOCK_SRCS = test/mock_api/mock_api.c test/mock_api/mock_box.c test/mock_api/mock_search.c
test/mock_api/mock_api: $(MOCK_SRCS) test/mock_api/mock_box.h test/mock_api/mock_search.h test/mock_api/mock_vetis.c $(PB_SRCS) $(PB_HDRS)
	$(CC) $(MOCK_CFLAGS) -o $@ $(MOCK_SRCS) $(PB_SRCS) \
		-lmicrohttpd -lprotobuf-c $(XML2_LIBS) -lz -lpthread

mock: test/mock_api/mock_api
.PHONY: mock

# The benchmark's baseline: the same fetching and parsing without PostgreSQL.
test/bench/baseline: test/bench/baseline.c src/xmlscan.c src/xmlscan.h src/xmlscan_run.h $(PB_SRCS) $(PB_HDRS)
	$(CC) $(MOCK_CFLAGS) -Isrc -o $@ test/bench/baseline.c src/xmlscan.c $(PB_SRCS) \
		-lcurl -lprotobuf-c

# The scanner alone on saved pages, compiled as the extension compiles it.
test/bench/xmlscan_bench: test/bench/xmlscan_bench.c src/xmlscan.c src/xmlscan.h src/xmlscan_run.h
	$(CC) $(CFLAGS) $(CFLAGS_SL) -Isrc -o $@ test/bench/xmlscan_bench.c src/xmlscan.c

bench: test/bench/baseline test/bench/xmlscan_bench
.PHONY: bench
