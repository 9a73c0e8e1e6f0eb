/*
 * iotlb-ref: the "speed of memory" reference for `vdpa-lab bench iotlb`.
 *
 * A plain C radix tree with the lab's geometry (7 levels over 52-bit page
 * numbers, fan-outs 7/9/9/9/9/4/5 bits from the root down), 32-byte entry
 * records (start, last, addr, meta) in one array, child nodes as int32
 * offsets into one slot pool: the same dependent loads per lookup as the
 * TypeScript tree, without a JIT, bounds checks or a seqlock. Every entry is
 * one whole page, so there is no path compression and no bucket.
 *
 * Not built by native/build.sh (that one compiles the C files directly under native/ into the probe):
 * the bench compiles this file with `gcc -O2` into a temp dir when a compiler
 * exists.
 *
 * Input (a file named on the command line): little-endian, all uint64:
 *   magic 0x31544c544f49 ("IOTLT1"), rounds, n, nprobe, nmiss, ndel,
 *   mapped[n]   (IOVA order), order[n] (a random order of mapped),
 *   probe[nprobe] (mapped pages), miss[nmiss] (unmapped pages),
 *   victim[ndel] (distinct mapped pages).
 * Output (stdout): one JSON object, nanoseconds per operation of the median
 * round for each op, plus bytes per entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int SHIFT[7] = {0, 5, 9, 18, 27, 36, 45};
static const int BITS[7] = {5, 4, 9, 9, 9, 9, 7};

struct rec {
	double start, last, addr, meta;
};

struct tree {
	int32_t *slots; /* node = header word (count) + slots; child = -offset */
	size_t slots_top, slots_cap;
	struct rec *rec;
	size_t rec_top, rec_cap;
	int32_t free_rec;
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	p = realloc(p, c * elem);
	if (!p) {
		fprintf(stderr, "iotlb-ref: out of memory\n");
		exit(1);
	}
	*cap = c;
	return p;
}

static int32_t alloc_node(struct tree *t, int level)
{
	size_t words = ((size_t)1 << BITS[level]) + 1;
	t->slots = grow(t->slots, &t->slots_cap, t->slots_top + words, 4);
	int32_t off = (int32_t)t->slots_top;
	memset(t->slots + off, 0, words * 4);
	t->slots_top += words;
	return off;
}

static void tree_init(struct tree *t)
{
	memset(t, 0, sizeof(*t));
	t->rec_top = 1; /* id 0 means empty */
	alloc_node(t, 6);
}

static void tree_free(struct tree *t)
{
	free(t->slots);
	free(t->rec);
}

static inline unsigned slot_of(uint64_t page, int level)
{
	return (unsigned)(page >> SHIFT[level]) & ((1u << BITS[level]) - 1);
}

static int insert(struct tree *t, uint64_t page, uint64_t addr)
{
	int32_t node = 0;
	for (int level = 6; level > 0; level--) {
		size_t at = node + 1 + slot_of(page, level);
		int32_t v = t->slots[at];
		if (v == 0) {
			int32_t child = alloc_node(t, level - 1);
			t->slots[at] = -child; /* alloc_node may have moved slots */
			t->slots[node]++;
			v = -child;
		}
		node = -v;
	}
	size_t at = node + 1 + slot_of(page, 0);
	if (t->slots[at])
		return 0;
	int32_t id;
	if (t->free_rec) {
		id = t->free_rec;
		t->free_rec = (int32_t)t->rec[id].addr;
	} else {
		t->rec = grow(t->rec, &t->rec_cap, t->rec_top + 1, sizeof(struct rec));
		id = (int32_t)t->rec_top++;
	}
	struct rec *r = &t->rec[id];
	r->start = (double)page;
	r->last = (double)page;
	r->addr = (double)addr;
	r->meta = (double)((4095u << 12) | (3u << 24));
	t->slots[at] = id;
	t->slots[node]++;
	return id;
}

static inline int32_t lookup(const struct tree *t, uint64_t page, uint64_t *out)
{
	const int32_t *s = t->slots;
	int32_t v = s[1 + slot_of(page, 6)];
	for (int level = 5; level >= 0 && v < 0; level--)
		v = s[1 - v + slot_of(page, level)];
	if (v <= 0)
		return 0;
	const struct rec *r = &t->rec[v];
	if ((double)page < r->start || (double)page > r->last)
		return 0;
	*out = (uint64_t)r->addr + (page - (uint64_t)r->start);
	return v;
}

static void remove_page(struct tree *t, uint64_t page)
{
	int32_t node = 0;
	for (int level = 6; level > 0; level--) {
		int32_t v = t->slots[node + 1 + slot_of(page, level)];
		if (v >= 0)
			return;
		node = -v;
	}
	size_t at = node + 1 + slot_of(page, 0);
	int32_t id = t->slots[at];
	if (id <= 0)
		return;
	t->slots[at] = 0;
	t->slots[node]--;
	t->rec[id].addr = t->free_rec;
	t->free_rec = id;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[(n - 1) / 2];
}

static uint64_t *read_array(FILE *f, uint64_t n, const char *what)
{
	uint64_t *a = malloc((n ? n : 1) * 8);
	if (!a || fread(a, 8, n, f) != n) {
		fprintf(stderr, "iotlb-ref: input ends inside %s\n", what);
		exit(2);
	}
	return a;
}

enum { OP_SEQ, OP_RAND, OP_HIT, OP_MISS, OP_DEL, NOPS };
static const char *OP_NAME[NOPS] = {"insertIovaOrder", "insertRandomOrder", "translateHit", "translateMiss", "delete"};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: iotlb-ref INPUT\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	uint64_t hdr[6];
	if (fread(hdr, 8, 6, f) != 6 || hdr[0] != 0x31544c544f49ull) {
		fprintf(stderr, "iotlb-ref: %s is not a bench input (bad header)\n", argv[1]);
		return 2;
	}
	uint64_t rounds = hdr[1], n = hdr[2], nprobe = hdr[3], nmiss = hdr[4], ndel = hdr[5];
	if (rounds < 1 || rounds > 100 || n < 1) {
		fprintf(stderr, "iotlb-ref: rounds must be 1..100 and n >= 1\n");
		return 2;
	}
	uint64_t *mapped = read_array(f, n, "mapped");
	uint64_t *order = read_array(f, n, "order");
	uint64_t *probe = read_array(f, nprobe, "probe");
	uint64_t *miss = read_array(f, nmiss, "miss");
	uint64_t *victim = read_array(f, ndel, "victim");
	fclose(f);

	double *ns[NOPS];
	for (int k = 0; k < NOPS; k++)
		ns[k] = calloc(rounds, sizeof(double));
	uint64_t sink = 0;
	double bytes_per_entry = 0;
	for (uint64_t round = 0; round < rounds; round++) {
		struct tree t;
		double t0 = now_ns();
		tree_init(&t);
		for (uint64_t i = 0; i < n; i++)
			insert(&t, mapped[i], mapped[i] + 7);
		ns[OP_SEQ][round] = (now_ns() - t0) / n;
		bytes_per_entry = (t.slots_top * 4.0 + t.rec_top * 32.0) / n;

		struct tree u;
		t0 = now_ns();
		tree_init(&u);
		for (uint64_t i = 0; i < n; i++)
			insert(&u, order[i], order[i] + 7);
		ns[OP_RAND][round] = (now_ns() - t0) / n;
		tree_free(&u);

		uint64_t out = 0;
		t0 = now_ns();
		for (uint64_t i = 0; i < nprobe; i++)
			if (lookup(&t, probe[i], &out))
				sink += out;
		ns[OP_HIT][round] = (now_ns() - t0) / (nprobe ? nprobe : 1);

		t0 = now_ns();
		for (uint64_t i = 0; i < nmiss; i++)
			if (lookup(&t, miss[i], &out))
				sink += out;
		ns[OP_MISS][round] = (now_ns() - t0) / (nmiss ? nmiss : 1);

		t0 = now_ns();
		for (uint64_t i = 0; i < ndel; i++)
			remove_page(&t, victim[i]);
		ns[OP_DEL][round] = (now_ns() - t0) / (ndel ? ndel : 1);
		tree_free(&t);
	}
	printf("{\"rounds\":%llu,\"entries\":%llu,\"bytesPerEntry\":%.2f,\"sink\":%llu", (unsigned long long)rounds,
	       (unsigned long long)n, bytes_per_entry, (unsigned long long)(sink & 1));
	for (int k = 0; k < NOPS; k++)
		printf(",\"%sNs\":%.3f", OP_NAME[k], median(ns[k], (int)rounds));
	printf("}\n");
	return 0;
}
