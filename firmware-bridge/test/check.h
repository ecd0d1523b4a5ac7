/* check.h - a minimal assertion harness for the host tests (no dependencies). */
#ifndef SMP_CHECK_H
#define SMP_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static unsigned check_failures;
static unsigned check_count;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    check_count++;                                                                   \
    if (!(cond)) {                                                                   \
      check_failures++;                                                              \
      if (check_failures <= 30) fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                                \
  } while (0)

#define CHECK_MSG(cond, ...)                                                         \
  do {                                                                               \
    check_count++;                                                                   \
    if (!(cond)) {                                                                   \
      check_failures++;                                                              \
      if (check_failures <= 30) {                                                    \
        fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);    \
        fprintf(stderr, __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                         \
      }                                                                              \
    }                                                                                \
  } while (0)

static int check_report(const char *name) {
  if (check_failures) {
    fprintf(stderr, "%s: %u of %u checks FAILED\n", name, check_failures, check_count);
    return 1;
  }
  printf("%s: all %u checks passed\n", name, check_count);
  return 0;
}

#endif
