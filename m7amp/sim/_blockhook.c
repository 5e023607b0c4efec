/*
 * m7amp simulator: the per-block hook, in C for speed (see m7amp/sim/ARCHITECTURE.md).
 *
 * unicorn calls bh_hook() at the start of every translated block it executes. The hook asks unicorn to
 * stop (uc_emu_stop) when the cycle counter has reached the next scheduled event (stop_at; the run loop
 * sets it to 0 to stop at the next block boundary), otherwise it looks the block up in an
 * open-addressing hash table (key = address and size) and adds its instruction count and modelled
 * cycles to 64-bit counters. Python is called only for a block never seen before (to cost it). The hook does
 * not link against libunicorn: Python hands it the addresses of uc_emu_stop and uc_reg_read.
 *
 * Memory model (fetch_on; docs/cycle-model.md "Memory"): per executed block, the instruction-fetch waits
 * of each 32-byte line (ITCM, flash through the ART or the I-cache, SRAM) and the data waits of the block's
 * decoded loads and stores (m7amp/sim/_dside.py): their addresses come from the block's entry registers,
 * read here, and go through the D-cache model (16 KB, 4-way, LRU) or the uncached costs.
 *
 * Optional mask watch: while an exception is pending but masked, the hook re-reads PRIMASK/BASEPRI/
 * FAULTMASK at each block and stops when they change, so the exception is taken right after the
 * CPSIE/MSR that unmasked it (those instructions end a block).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*emu_stop_fn)(void *uc);
typedef int (*reg_read_fn)(void *uc, int regid, void *value);
/* Python: cost a new block. Returns 0 on success and fills instructions and cycles, and the block's
   data accesses (bh_add_accesses) as first index and count. */
typedef int (*new_block_fn)(uint64_t address, uint32_t size, uint32_t *instructions, uint32_t *cycles,
                            uint32_t *acc_first, uint32_t *acc_count);

typedef struct {
    uint64_t key;          /* address | size << 32; 0 = empty */
    uint32_t instructions;
    uint32_t cycles;
    uint64_t count;        /* times executed */
    uint32_t acc_first;    /* data accesses: s->accesses[acc_first .. acc_first + acc_count) */
    uint32_t acc_count;
    uint64_t stall;        /* memory-model cycles added at this block, all executions */
} bh_entry;

/* One data access of a block (m7amp/sim/_dside.py): address = sum of entry registers reg[i] << shift[i]
   (reg 255 = none) + disp. */
typedef struct {
    uint8_t reg[2];
    uint8_t shift[2];
    int32_t disp;
    uint8_t store;
    uint8_t pad;
    uint16_t nbytes;
} bh_access;

typedef struct {
    /* read/written from Python through ctypes (m7amp/sim/_blockhook.py mirrors this layout) */
    uint64_t cycles;
    uint64_t instructions;
    uint64_t stop_at;      /* stop when cycles >= stop_at */
    uint64_t last_block;   /* address of the block executing now (for fault reports) */
    uint64_t last_size;    /* its size in bytes (the debugger un-counts the part a stop skipped) */
    uint32_t stopped;      /* why the hook stopped: 1 = time (or requested), 2 = mask change, 3 = error */
    uint32_t watch_mask;   /* 1: compare masks each block */
    uint32_t mask_regs[3]; /* unicorn register ids of PRIMASK, BASEPRI, FAULTMASK */
    uint32_t mask_values[3];
    void *uc;
    emu_stop_fn emu_stop;
    reg_read_fn reg_read;
    new_block_fn new_block;
    /* instruction-fetch model (docs/cycle-model.md "Memory"): added per executed block, per 32-byte line */
    uint32_t fetch_on;     /* 0: fetch always hits (no memory model) */
    uint32_t icache_on;    /* SCB CCR.IC */
    uint32_t art_on;       /* FLASH_ACR.ARTEN */
    uint32_t prefetch_on;  /* FLASH_ACR.PRFTEN */
    uint32_t flash_ws;     /* FLASH_ACR.LATENCY (wait states) */
    uint32_t axi_extra;    /* cycles an AXIM line fill adds on top of the memory's own wait */
    uint32_t sram_wait;    /* cycles of an SRAM line fill through the bus matrix */
    uint32_t last_line;    /* last flash line fetched on the ITCM bus (prefetch: the next one is free) */
    uint64_t fetch_cycles; /* cycles added by fetch misses */
    uint64_t icache_misses;
    uint64_t art_misses;
    uint32_t icache_tags[256 * 2]; /* 16 KB, 2-way, 32-byte lines: 256 sets; tag = line + 1 (0 = invalid) */
    uint8_t icache_lru[256];       /* way to replace next */
    uint32_t art_tags[64];         /* ART: 64 lines of 256 bits, fully associative, round robin */
    uint32_t art_next;
    /* data side (D-cache model) */
    uint32_t dcache_on;    /* SCB CCR.DC */
    uint32_t sram_read;    /* cycles an uncached SRAM load waits (AXI round trip) */
    uint32_t core_regs[16];        /* unicorn ids of r0..r12, sp, lr, pc (index order of bh_access.reg) */
    uint64_t data_cycles;  /* cycles added by data-side waits */
    uint64_t dcache_misses;
    uint64_t data_accesses;        /* tracked accesses outside the TCMs (cache lookups) */
    uint32_t dcache_tags[128 * 4]; /* 16 KB, 4-way, 32-byte lines: 128 sets; tag = line + 1 (0 = invalid) */
    uint8_t dcache_dirty[128 * 4];
    uint8_t dcache_age[128 * 4];   /* LRU: 0 = most recent */
    uint64_t last_stall;   /* memory-model cycles added at the entry of the block executing now */
    /* Blocks a debugger stop cut short (their memory waits were charged at their entry): the addresses
       where they resume, innermost last (an exception taken between two steps nests them). The block that
       resumes at the top address charges no waits. */
    uint32_t resume_count;
    uint32_t resume_addr[8];
    /* private */
    bh_entry *table;
    uint64_t capacity;     /* power of two */
    uint64_t used;
    bh_access *accesses;
    uint64_t acc_used, acc_capacity;
} bh_state;

static uint64_t bh_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key;
}

static bh_entry *bh_find(bh_state *s, uint64_t key) {
    uint64_t mask = s->capacity - 1;
    for (uint64_t i = bh_hash(key) & mask;; i = (i + 1) & mask) {
        bh_entry *e = &s->table[i];
        if (e->key == key || e->key == 0) return e;
    }
}

static int bh_grow(bh_state *s) {
    uint64_t old_capacity = s->capacity;
    bh_entry *old = s->table;
    s->capacity = old_capacity ? old_capacity * 2 : 4096;
    s->table = calloc(s->capacity, sizeof(bh_entry));
    if (!s->table) {
        s->table = old;
        s->capacity = old_capacity;
        return -1;
    }
    for (uint64_t i = 0; i < old_capacity; i++)
        if (old[i].key) *bh_find(s, old[i].key) = old[i];
    free(old);
    return 0;
}

int bh_init(bh_state *s) {
    s->table = NULL;
    s->capacity = 0;
    s->used = 0;
    s->accesses = NULL;
    s->acc_used = s->acc_capacity = 0;
    return bh_grow(s);
}

void bh_free(bh_state *s) {
    free(s->table);
    free(s->accesses);
    s->table = NULL;
    s->accesses = NULL;
    s->capacity = s->used = 0;
    s->acc_used = s->acc_capacity = 0;
}

/* Forget all blocks (e.g. after code was rewritten); counters are kept. */
void bh_clear(bh_state *s) {
    memset(s->table, 0, s->capacity * sizeof(bh_entry));
    s->used = 0;
    s->acc_used = 0;
}

/* Append n data accesses; returns the index of the first, or -1 when out of memory. */
int64_t bh_add_accesses(bh_state *s, const bh_access *list, uint32_t n) {
    if (s->acc_used + n > s->acc_capacity) {
        uint64_t capacity = s->acc_capacity ? s->acc_capacity : 4096;
        while (capacity < s->acc_used + n) capacity *= 2;
        bh_access *grown = realloc(s->accesses, capacity * sizeof(bh_access));
        if (!grown) return -1;
        s->accesses = grown;
        s->acc_capacity = capacity;
    }
    uint64_t first = s->acc_used;
    if (n) memcpy(&s->accesses[first], list, n * sizeof(bh_access));
    s->acc_used += n;
    return (int64_t)first;
}

/* A debugger stop cut the block executing now at addr (see resume_addr). */
void bh_cut(bh_state *s, uint32_t addr) {
    if (s->resume_count == 8) {
        memmove(s->resume_addr, s->resume_addr + 1, 7 * sizeof s->resume_addr[0]);
        s->resume_count = 7;
    }
    s->resume_addr[s->resume_count++] = addr;
}

/* Invalidate the I-cache (ICIALLU, reset) or the ART (FLASH_ACR.ARTRST). */
void bh_icache_invalidate(bh_state *s) { memset(s->icache_tags, 0, sizeof s->icache_tags); }
void bh_art_invalidate(bh_state *s) { memset(s->art_tags, 0, sizeof s->art_tags); }

static uint32_t icache_access(bh_state *s, uint32_t line) {
    uint32_t set = line & 255u, tag = line + 1u; /* 0 = invalid */
    uint32_t *ways = &s->icache_tags[set * 2];
    if (ways[0] == tag || ways[1] == tag) {
        s->icache_lru[set] = ways[0] == tag ? 1 : 0;
        return 1;
    }
    ways[s->icache_lru[set]] = tag;
    s->icache_lru[set] ^= 1;
    s->icache_misses++;
    return 0;
}

static uint32_t art_access(bh_state *s, uint32_t line) {
    uint32_t tag = line + 1u;
    for (int i = 0; i < 64; i++)
        if (s->art_tags[i] == tag) return 1;
    s->art_tags[s->art_next] = tag;
    s->art_next = (s->art_next + 1) & 63u;
    s->art_misses++;
    return 0;
}

/* D-cache lookup of one line; allocates on a miss (LRU). Returns 1 on a hit. */
static uint32_t dcache_access(bh_state *s, uint32_t line, uint32_t store) {
    uint32_t set = line & 127u, tag = line + 1u;
    uint32_t *ways = &s->dcache_tags[set * 4];
    uint8_t *age = &s->dcache_age[set * 4];
    int hit = -1, victim = 0;
    for (int w = 0; w < 4; w++) { /* an invalid way first, else the least recently used */
        if (ways[w] == tag) hit = w;
        if (ways[victim] != 0 && (ways[w] == 0 || age[w] > age[victim])) victim = w;
    }
    int way = hit >= 0 ? hit : victim;
    for (int w = 0; w < 4; w++)
        if (age[w] < age[way]) age[w]++;
    age[way] = 0;
    if (hit >= 0) {
        s->dcache_dirty[set * 4 + way] |= (uint8_t)store;
        return 1;
    }
    /* a dirty victim is written back through the AXI write buffer: not charged */
    ways[way] = tag;
    s->dcache_dirty[set * 4 + way] = (uint8_t)store;
    s->dcache_misses++;
    return 0;
}

/* D-cache maintenance (SCB 0xF5C..0xF74): op 0 invalidate, 1 clean, 2 clean + invalidate; by address
   (by_set_way = 0) or by set/way (value = set << 5 | way << 30). Clean only clears the dirty bit: the
   write-back it causes is not charged. */
void bh_dcache_op(bh_state *s, uint32_t op, uint32_t by_set_way, uint32_t value) {
    int first, last;
    if (by_set_way) {
        first = last = (int)(((value >> 5) & 127u) * 4u + (value >> 30));
    } else {
        uint32_t line = value >> 5, set = line & 127u;
        first = last = -1;
        for (uint32_t w = 0; w < 4; w++)
            if (s->dcache_tags[set * 4 + w] == line + 1u) first = last = (int)(set * 4 + w);
        if (first < 0) return;
    }
    for (int i = first; i <= last; i++) {
        s->dcache_dirty[i] = 0;
        if (op != 1) s->dcache_tags[i] = 0;
    }
}

void bh_dcache_invalidate(bh_state *s) {
    memset(s->dcache_tags, 0, sizeof s->dcache_tags);
    memset(s->dcache_dirty, 0, sizeof s->dcache_dirty);
    memset(s->dcache_age, 0, sizeof s->dcache_age);
}

/* Stall cycles of one data access at addr (nbytes from it). */
static uint32_t data_access(bh_state *s, uint32_t addr, uint32_t nbytes, uint32_t store) {
    uint32_t fill, uncached;
    if (addr >= 0x20000000u && addr < 0x20020000u) return 0;   /* DTCM: zero wait, never cached */
    if (addr < 0x00010000u) return 0;                          /* ITCM RAM */
    if (addr >= 0x20020000u && addr < 0x20080000u) {           /* SRAM1/2 via AXI and the bus matrix */
        fill = s->sram_wait;                                   /* write-back, write-allocate */
        uncached = store ? 0 : s->sram_read;                   /* stores retire through the write buffer */
    } else if (addr >= 0x08000000u && addr < 0x08200000u) {   /* flash via AXIM: write-through, cached */
        if (store) return 0;
        fill = s->flash_ws + 1 + s->axi_extra;
        uncached = s->flash_ws + 1;
    } else if (addr >= 0x00200000u && addr < 0x00400000u) {   /* flash via the ITCM bus: the ART */
        if (store) return 0;
        return s->art_on && art_access(s, addr >> 5) ? 0 : s->flash_ws + 1;
    } else {
        return 0;                                              /* peripherals, system space: not modelled */
    }
    s->data_accesses++;
    if (!s->dcache_on) return uncached;
    uint32_t stall = 0, first = addr >> 5, last = (addr + (nbytes ? nbytes : 1) - 1) >> 5;
    for (uint32_t line = first; line <= last; line++)
        if (!dcache_access(s, line, store)) stall += fill;
    return stall;
}

/* Stall cycles for fetching one 32-byte line of code at addr. */
static uint32_t fetch_line(bh_state *s, uint32_t addr) {
    uint32_t line = addr >> 5;
    if (addr < 0x00010000u) return 0;                       /* ITCM RAM: zero wait */
    if (addr >= 0x00200000u && addr < 0x00400000u) {        /* flash on the ITCM bus: ART + prefetch */
        uint32_t sequential = line == s->last_line + 1;
        s->last_line = line;
        if (s->art_on && art_access(s, line)) return 0;
        if (s->prefetch_on && sequential) return 0;         /* fetched ahead while the previous line ran */
        return s->flash_ws + 1;
    }
    uint32_t fill, uncached;
    if (addr >= 0x08000000u && addr < 0x08200000u) {      /* flash through AXIM */
        fill = s->flash_ws + 1 + s->axi_extra;              /* one 256-bit flash read fills the line */
        /* no cache: the line arrives as four 64-bit AXI beats, the first after one flash read, the other
           three from the flash interface's 256-bit buffer at axi_extra each (fitted, docs/cycle-model.md) */
        uncached = s->flash_ws + 1 + 3 * s->axi_extra;
    } else if (addr >= 0x20000000u && addr < 0x20080000u) { /* SRAM through the bus matrix */
        fill = uncached = s->sram_wait;
    } else {
        return 0;
    }
    if (!s->icache_on) return uncached;
    return icache_access(s, line) ? 0 : fill;
}

void bh_hook(void *uc, uint64_t address, uint32_t size, void *user_data) {
    bh_state *s = (bh_state *)user_data;
    /* Stops are decided BEFORE counting: uc_emu_stop called here ends emulation before this block runs
       (unicorn leaves PC at the block start), so the block is counted when it does run. */
    if (s->stopped) return;
    if (s->cycles >= s->stop_at) {
        s->stopped = 1;
        s->emu_stop(uc);
        return;
    }
    if (s->watch_mask) {
        for (int i = 0; i < 3; i++) {
            uint32_t v = 0;
            s->reg_read(uc, (int)s->mask_regs[i], &v);
            if (v != s->mask_values[i]) {
                s->stopped = 2;
                s->emu_stop(uc);
                return;
            }
        }
    }
    uint64_t key = (address & 0xffffffffULL) | ((uint64_t)size << 32);
    bh_entry *e = bh_find(s, key);
    if (e->key == 0) {
        uint32_t instructions = 0, cycles = 0, acc_first = 0, acc_count = 0;
        if (s->new_block(address, size, &instructions, &cycles, &acc_first, &acc_count) != 0) {
            s->stopped = 3;
            s->emu_stop(uc);
            return;
        }
        if ((s->used + 1) * 2 > s->capacity) {
            if (bh_grow(s) != 0) {
                s->stopped = 3;
                s->emu_stop(uc);
                return;
            }
            e = bh_find(s, key);
        }
        e->key = key;
        e->instructions = instructions;
        e->cycles = cycles;
        e->acc_first = acc_first;
        e->acc_count = acc_count;
        s->used++;
    }
    s->last_block = address;
    s->last_size = size;
    e->count++;
    s->instructions += e->instructions;
    s->cycles += e->cycles;
    if (s->resume_count && (uint32_t)address == s->resume_addr[s->resume_count - 1]) {
        s->resume_count--;
        s->last_stall = 0;
        return;
    }
    if (s->fetch_on) {
        uint32_t stall = 0, first = (uint32_t)address & ~31u, end = (uint32_t)address + size;
        for (uint32_t a = first; a < end; a += 32u) stall += fetch_line(s, a);
        s->fetch_cycles += stall;
        s->cycles += stall;
        e->stall += stall;
        s->last_stall = stall;
        if (e->acc_count) {
            uint32_t regs[16], have = 0, dstall = 0;
            const bh_access *acc = &s->accesses[e->acc_first];
            for (uint32_t i = 0; i < e->acc_count; i++, acc++) {
                uint32_t addr = (uint32_t)acc->disp;
                for (int k = 0; k < 2; k++) {
                    uint32_t r = acc->reg[k];
                    if (r > 15) continue;
                    if (!(have & (1u << r))) {
                        regs[r] = 0;
                        s->reg_read(uc, (int)s->core_regs[r], &regs[r]);
                        have |= 1u << r;
                    }
                    addr += regs[r] << acc->shift[k];
                }
                dstall += data_access(s, addr, acc->nbytes, acc->store);
            }
            s->data_cycles += dstall;
            s->cycles += dstall;
            e->stall += dstall;
            s->last_stall += dstall;
        }
    }
}

/* Copy up to max entries out (for profiles); returns the number of entries copied. */
uint64_t bh_entries(const bh_state *s, uint64_t *addresses, uint32_t *instructions, uint32_t *cycles,
                    uint64_t *counts, uint64_t *stalls, uint64_t max) {
    uint64_t n = 0;
    for (uint64_t i = 0; i < s->capacity && n < max; i++) {
        const bh_entry *e = &s->table[i];
        if (!e->key) continue;
        addresses[n] = e->key & 0xffffffffULL;
        instructions[n] = e->instructions;
        cycles[n] = e->cycles;
        counts[n] = e->count;
        stalls[n] = e->stall;
        n++;
    }
    return n;
}

uint64_t bh_used(const bh_state *s) { return s->used; }
