/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * harness.h - a minimal unit-test harness: CHECK() records a failure and goes on;
 * RUN(test) runs one test function; FINISH() prints "N passed, M failed" and returns
 * the exit status.  A test passes when none of its CHECKs failed.
 */
#ifndef WYKI_TEST_HARNESS_H
#define WYKI_TEST_HARNESS_H

#include <stdio.h>

static int harness_passed, harness_failed, harness_test_failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			harness_test_failed = 1;			\
		}							\
	} while (0)

#define RUN(test)							\
	do {								\
		harness_test_failed = 0;				\
		test();							\
		if (harness_test_failed) {				\
			harness_failed++;				\
			printf("FAIL %s\n", #test);			\
		} else {						\
			harness_passed++;				\
			printf("ok   %s\n", #test);			\
		}							\
	} while (0)

#define FINISH()							\
	(printf("%d passed, %d failed\n", harness_passed, harness_failed), \
	 harness_failed ? 1 : 0)

#endif /* WYKI_TEST_HARNESS_H */
