/*
 * Micro-benchmarks for the simulator's cost table (docs/simulator.md,
 * "Default costs"). Prints one "name value unit" line per figure.
 *
 *   gcc -O2 -pthread -o /tmp/slab-costs bench/micro/costs.c && /tmp/slab-costs
 *
 * atomic_rmw_local_ns    lock xadd on a line this CPU owns
 * spin_acq_rel_ns        test-and-set spinlock acquire + release, uncontended
 * line_transfer_ns       one cache-line transfer between the two CPUs pinned
 *                        (half a ping-pong round trip)
 * contended_atomic_ns    mean time per atomic RMW when both CPUs hammer one line
 * l2_hit_ns / dram_miss_ns  dependent-load latency, 256 KiB / 512 MiB working set
 * copy_2k_ns             memcpy of 2 KiB (x86 pgd_ctor clones 256 kernel pgd entries)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static _Alignas(64) atomic_long counter;
static _Alignas(64) atomic_int spin;
static _Alignas(64) atomic_long ball;
static _Alignas(64) atomic_long shared_line;
static atomic_int go;

static double best_of(double (*f)(void), int n)
{
	double b = 1e30;
	for (int i = 0; i < n; i++) {
		double v = f();
		if (v < b)
			b = v;
	}
	return b;
}

static double t_atomic(void)
{
	const long N = 20000000;
	double t0 = now_ns();
	for (long i = 0; i < N; i++)
		atomic_fetch_add_explicit(&counter, 1, memory_order_seq_cst);
	return (now_ns() - t0) / N;
}

static double t_spin(void)
{
	const long N = 20000000;
	double t0 = now_ns();
	for (long i = 0; i < N; i++) {
		while (atomic_exchange_explicit(&spin, 1, memory_order_acquire))
			;
		atomic_store_explicit(&spin, 0, memory_order_release);
	}
	return (now_ns() - t0) / N;
}

#define PINGS 2000000L
static void *pong(void *arg)
{
	(void)arg;
	pin(1);
	for (long i = 0; i < PINGS; i++) {
		while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 1)
			;
		atomic_store_explicit(&ball, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static double t_pingpong(void)
{
	pthread_t th;
	atomic_store(&ball, 0);
	pthread_create(&th, NULL, pong, NULL);
	pin(0);
	double t0 = now_ns();
	for (long i = 0; i < PINGS; i++) {
		atomic_store_explicit(&ball, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 2)
			;
	}
	double dt = now_ns() - t0;
	pthread_join(th, NULL);
	/* one round trip = two transfers (each side pulls the line once) */
	return dt / PINGS / 2;
}

#define HAMMER 10000000L
static void *hammer(void *arg)
{
	pin((int)(long)arg);
	while (!atomic_load(&go))
		;
	for (long i = 0; i < HAMMER; i++)
		atomic_fetch_add_explicit(&shared_line, 1, memory_order_seq_cst);
	return NULL;
}

static double t_contended(void)
{
	pthread_t a, b;
	atomic_store(&go, 0);
	pthread_create(&a, NULL, hammer, (void *)0L);
	pthread_create(&b, NULL, hammer, (void *)1L);
	double t0 = now_ns();
	atomic_store(&go, 1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return (now_ns() - t0) / (2.0 * HAMMER);
}

static double chase(size_t bytes, long steps)
{
	size_t n = bytes / 64;
	size_t *idx = malloc(n * sizeof(size_t));
	char *mem = aligned_alloc(64, n * 64);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	srand(1);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = ((size_t)rand() * RAND_MAX + rand()) % (i + 1);
		size_t t = idx[i]; idx[i] = idx[j]; idx[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		*(void **)(mem + idx[i] * 64) = mem + idx[(i + 1) % n] * 64;
	void *p = mem + idx[0] * 64;
	for (long i = 0; i < (long)n; i++)
		p = *(void **)p;
	double t0 = now_ns();
	for (long i = 0; i < steps; i++)
		p = *(void **)p;
	double dt = now_ns() - t0;
	if (p == NULL)
		puts("");
	free(idx);
	free(mem);
	return dt / steps;
}

static double t_l2(void) { return chase(256 << 10, 20000000); }
static double t_dram(void) { return chase((size_t)512 << 20, 5000000); }

static char src[2048], dst[2048];
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;
static double t_copy(void)
{
	const long N = 2000000;
	double t0 = now_ns();
	for (long i = 0; i < N; i++) {
		src[i & 2047] = (char)i;
		copy_fn(dst, src, sizeof(dst));
	}
	return (now_ns() - t0) / N;
}

int main(void)
{
	pin(0);
	printf("atomic_rmw_local_ns %.1f ns\n", best_of(t_atomic, 5));
	printf("spin_acq_rel_ns %.1f ns\n", best_of(t_spin, 5));
	printf("line_transfer_ns %.1f ns\n", best_of(t_pingpong, 5));
	printf("contended_atomic_ns %.1f ns\n", best_of(t_contended, 5));
	pin(0);
	printf("l2_hit_ns %.1f ns\n", best_of(t_l2, 3));
	printf("dram_miss_ns %.1f ns\n", best_of(t_dram, 3));
	printf("copy_2k_ns %.1f ns\n", best_of(t_copy, 5));
	return 0;
}
