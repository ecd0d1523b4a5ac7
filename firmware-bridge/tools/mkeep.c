/* mkeep.c - writes the EEPROM image (Intel HEX) with the default configuration record and a zero boot
 * counter to stdout. Built and run by the Makefile with the host compiler:
 *   mkeep rotary > smp-board.eep     (limits of BOARD_DEFAULTS, calibration of the rotary image's machine file)
 *   mkeep coil   > smp-board-coil.eep (same limits, calibration of the coil image's machine file, coil drive)
 *   mkeep corrupt > bad.eep           (the same record with a flipped CRC byte, for tests)
 * The values come from the generated board_tables.h (EEPROM_IMAGES in scripts/gen/c-board.ts names the files). */
#include <stdio.h>
#include <string.h>

#include "eeprom_config.h"

#define IMAGE_BYTES (SMP_EE_BOOT_COUNT_ADDR + 4u)

static void hex_line(unsigned addr, const unsigned char *data, unsigned n, unsigned type) {
  unsigned sum = n + (addr >> 8) + (addr & 0xFFu) + type;
  unsigned i;
  printf(":%02X%04X%02X", n, addr, type);
  for (i = 0; i < n; i++) {
    printf("%02X", data[i]);
    sum += data[i];
  }
  printf("%02X\n", (0x100u - (sum & 0xFFu)) & 0xFFu);
}

int main(int argc, char **argv) {
  unsigned char image[IMAGE_BYTES];
  smp_config c;
  unsigned addr;
  const char *kind = argc > 1 ? argv[1] : "rotary";
  memset(image, 0xFF, sizeof image);
  if (strcmp(kind, "coil") == 0) {
    smp_config_defaults_coil(&c);
  } else if (strcmp(kind, "rotary") == 0 || strcmp(kind, "corrupt") == 0) {
    smp_config_defaults(&c);
  } else {
    fprintf(stderr, "usage: mkeep rotary|coil|corrupt\n");
    return 2;
  }
  smp_config_pack(&c, image + SMP_EE_CONFIG_ADDR);
  if (strcmp(kind, "corrupt") == 0) image[SMP_EE_CONFIG_ADDR + SMP_EE_CONFIG_BYTES - 1u] ^= 0x5Au;
  memset(image + SMP_EE_BOOT_COUNT_ADDR, 0, 4); /* first boot reports bootId 1 */
  for (addr = 0; addr < IMAGE_BYTES; addr += 16u) {
    unsigned n = IMAGE_BYTES - addr < 16u ? IMAGE_BYTES - addr : 16u;
    hex_line(addr, image + addr, n, 0);
  }
  hex_line(0, NULL, 0, 1);
  return 0;
}
