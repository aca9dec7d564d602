/*
 * exec() in a loop, like the destructor RFC's benchmark: the program
 * re-executes itself N times and prints the mean time per exec().
 *
 *   gcc -O2 -o /tmp/exec-loop bench/micro/exec-loop.c && /tmp/exec-loop 20000
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t;
	char n[32], t0[32];
	long left = argc > 1 ? atol(argv[1]) : 10000;
	clock_gettime(CLOCK_MONOTONIC, &t);
	double now = t.tv_sec * 1e9 + t.tv_nsec;
	if (argc < 3) {
		snprintf(t0, sizeof(t0), "%.0f", now);
		snprintf(n, sizeof(n), "%ld", left);
		char *a[] = { argv[0], n, t0, (char *)(argc > 1 ? argv[1] : "10000"), NULL };
		execv("/proc/self/exe", a);
		return 1;
	}
	if (left <= 0) {
		double total = atof(argv[3]);
		printf("exec_ns %.0f ns (%s execs)\n", (now - atof(argv[2])) / total, argv[3]);
		return 0;
	}
	snprintf(n, sizeof(n), "%ld", left - 1);
	char *a[] = { argv[0], n, argv[2], argv[3], NULL };
	execv("/proc/self/exe", a);
	return 1;
}
