# paged_fdw: PGXS build.  protobuf-c C code is generated from proto/ at
# build time and never committed.

MODULE_big = paged_fdw
OBJS = \
	paged_fdw.o \
	src/options.o \
	src/quals.o \
	src/pager.o \
	src/http.o \
	src/resource.o \
	src/diadoc.o \
	src/oidc.o \
	src/oidc_answer.o \
	src/mercury.o \
	src/xmlscan.o \
	src/stats.o \
	proto/diadoc.pb-c.o

EXTENSION = paged_fdw
DATA = sql/paged_fdw--1.0.sql sql/paged_fdw--1.0--1.1.sql sql/paged_fdw--1.1.sql
PGFILEDESC = "paged_fdw - foreign data wrapper for paginated web APIs"

REGRESS = options diadoc diadoc_auth mercury pushdown conditions partitions differential faults security speed stats upgrade async parallel
REGRESS_OPTS = --load-extension=paged_fdw

XML2_CFLAGS := $(shell pkg-config --cflags libxml-2.0)
XML2_LIBS := $(shell pkg-config --libs libxml-2.0)
PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/proto $(XML2_CFLAGS)
SHLIB_LINK = -lcurl -lprotobuf-c $(XML2_LIBS)

EXTRA_CLEAN = proto/diadoc.pb-c.c proto/diadoc.pb-c.h \
	test/mock_api/mock_api test/mock_api/*.o test/bench/baseline

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

proto/diadoc.pb-c.c proto/diadoc.pb-c.h: proto/diadoc.proto
	protoc-c --proto_path=$(srcdir)/proto --c_out=proto $<

# Everything that includes the generated header waits for it.
src/diadoc.o: proto/diadoc.pb-c.h
proto/diadoc.pb-c.o: proto/diadoc.pb-c.c proto/diadoc.pb-c.h

# The mock API server used by the tests and the demo.
MOCK_CFLAGS = -O2 -g -Wall -Wextra -Wno-unused-parameter -Iproto $(XML2_CFLAGS)
test/mock_api/mock_api: test/mock_api/mock_api.c proto/diadoc.pb-c.c proto/diadoc.pb-c.h
	$(CC) $(MOCK_CFLAGS) -o $@ test/mock_api/mock_api.c proto/diadoc.pb-c.c \
		-lmicrohttpd -lprotobuf-c $(XML2_LIBS) -lz -lpthread

mock: test/mock_api/mock_api
.PHONY: mock

# The benchmark's baseline: the same fetching and parsing without PostgreSQL.
test/bench/baseline: test/bench/baseline.c src/xmlscan.c src/xmlscan.h proto/diadoc.pb-c.c proto/diadoc.pb-c.h
	$(CC) $(MOCK_CFLAGS) -Isrc -o $@ test/bench/baseline.c src/xmlscan.c proto/diadoc.pb-c.c \
		-lcurl -lprotobuf-c

bench: test/bench/baseline
.PHONY: bench
