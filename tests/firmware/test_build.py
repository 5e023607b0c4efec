"""The firmware ELFs built with arm-none-eabi-gcc: layout, vector table, sections, libc hygiene, the
result lines the simulator and Robot wait for, and that warnings are errors."""

from __future__ import annotations

import json
import shlex
import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from m7amp.errors import M7Error
from m7amp.firmware import DEFAULT_BUILD_DIR, apps, build, elf_size
from tests._skips import requires_arm_gcc

pytestmark = requires_arm_gcc

APPS = ["selftest", "irqtest", "faulttest"]
FLASH = range(0x0800_0000, 0x0820_0000)
DTCM = range(0x2000_0000, 0x2002_0000)
ITCM = range(0x0000_0000, 0x0000_4000)
N_VECTORS = 16 + 110  # system exceptions + F767 IRQs 0..109

RESULT_STRINGS = {
    "selftest": [b"M7AMP SELFTEST PASS\r\n", b"M7AMP SELFTEST FAIL %d checks failed\r\n",
                 b"m7amp selftest %s STM32F767 @ %lu MHz"],
    "irqtest": [b"M7AMP IRQTEST PASS\r\n", b"M7AMP IRQTEST FAIL %d checks failed\r\n"],
    "faulttest": [b"M7AMP FAULTTEST READY\r\n", b"M7AMP FAULTTEST FAIL no fault for '%c'\r\n"],
}
# Anything from the heap or stdio must never be linked (the toolchain provides no _sbrk on purpose).
FORBIDDEN = {"malloc", "_malloc_r", "free", "calloc", "realloc", "_sbrk", "_sbrk_r", "printf", "sprintf",
             "snprintf", "vsnprintf", "puts", "putchar", "_printf_r", "_vfprintf_r", "__swsetup_r", "_write"}


class Elf:
    """The facts about one ELF the tests need, read once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as f:
            elf = ELFFile(f)
            self.header = elf.header
            self.symbols = {s.name: s for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name}
            self.sections = {s.name: (s["sh_addr"], s["sh_size"], s["sh_type"]) for s in elf.iter_sections()}
            segs = [(g["p_vaddr"], g["p_paddr"], g["p_filesz"], g["p_memsz"])
                    for g in elf.iter_segments() if g["p_type"] == "PT_LOAD"]
            self.segments = segs
            self.vectors = elf.get_section_by_name(".isr_vector").data()
            self.image = b"".join(s.data() for s in elf.iter_sections()
                                  if s["sh_flags"] & 2 and s["sh_type"] == "SHT_PROGBITS")

    def sym(self, name: str) -> int:
        return self.symbols[name]["st_value"]

    def lma(self, section: str) -> int:
        """Load address: where the section's bytes sit in the image (flash for copied sections)."""
        addr = self.sections[section][0]
        for vaddr, paddr, filesz, _memsz in self.segments:
            if filesz and vaddr <= addr < vaddr + filesz:
                return paddr + (addr - vaddr)
        raise AssertionError(f"{section} is in no loaded segment")


@pytest.fixture(scope="module", params=APPS)
def app_elf(request: pytest.FixtureRequest, firmware_elf) -> tuple[str, Elf]:
    return request.param, Elf(firmware_elf(request.param))


def test_every_contract_app_exists():
    assert set(APPS) <= set(apps())


def test_elf_is_32bit_little_endian_arm(app_elf):
    _, elf = app_elf
    assert elf.header["e_machine"] == "EM_ARM"
    assert elf.header["e_ident"]["EI_CLASS"] == "ELFCLASS32"
    assert elf.header["e_ident"]["EI_DATA"] == "ELFDATA2LSB"


def test_entry_is_the_thumb_reset_handler_in_flash(app_elf):
    _, elf = app_elf
    entry = elf.header["e_entry"]
    assert entry & ~1 in FLASH
    assert entry & ~1 == elf.sym("Reset_Handler") & ~1


def test_vector_table_at_flash_start_with_sp_in_dtcm(app_elf):
    _, elf = app_elf
    addr, size, _ = elf.sections[".isr_vector"]
    assert addr == 0x0800_0000
    assert size == 4 * N_VECTORS
    words = struct.unpack(f"<{N_VECTORS}I", elf.vectors)
    sp, reset = words[0], words[1]
    assert sp == elf.sym("_estack")
    assert sp - 1 in DTCM and sp % 8 == 0
    assert reset == elf.header["e_entry"]
    for n, handler in enumerate(words[1:], start=1):
        if n in (7, 8, 9, 10, 13):  # reserved system slots still point at the default handler
            assert handler == elf.sym("m7_default_handler") | 1
        assert handler & 1, f"vector {n} is not a Thumb address"
        assert handler & ~1 in FLASH, f"vector {n} = {handler:#x} outside flash"


def test_board_handlers_are_wired(app_elf):
    _, elf = app_elf
    words = struct.unpack(f"<{N_VECTORS}I", elf.vectors)
    assert words[3] == elf.sym("HardFault_Handler") | 1
    assert words[4] == elf.sym("MemManage_Handler") | 1
    assert words[5] == elf.sym("BusFault_Handler") | 1
    assert words[6] == elf.sym("UsageFault_Handler") | 1
    assert words[15] == elf.sym("SysTick_Handler") | 1
    # an IRQ nobody handles falls to the default handler (WWDG, IRQ 0)
    assert words[16] == elf.sym("m7_default_handler") | 1


def test_stack_guard_and_stack_per_contract(app_elf):
    _, elf = app_elf
    assert elf.sym("__stack_guard_start") == 0x2000_0000
    assert elf.sym("__stack_guard_end") == 0x2000_0020
    assert elf.sym("__stack_limit") == elf.sym("__stack_guard_end")
    assert elf.sym("_estack") > elf.sym("__stack_limit") + 8 * 1024


def test_copied_sections_load_from_flash(app_elf):
    _, elf = app_elf
    for name, region in ((".itcm", ITCM), (".dtcm", DTCM), (".data", range(0x2002_0000, 0x2007_C000))):
        addr, size, _ = elf.sections[name]
        assert addr in region, f"{name} at {addr:#x}"
        if size:
            assert elf.lma(name) in FLASH, f"{name} loads from {elf.lma(name):#x}"


def test_nothing_loads_outside_flash(app_elf):
    """Every byte of the image is in flash; RAM sections only have run addresses."""
    _, elf = app_elf
    for vaddr, paddr, filesz, memsz in elf.segments:
        if filesz:
            assert paddr in FLASH, f"segment {vaddr:#x} loads at {paddr:#x}"
        elif memsz:
            assert paddr == vaddr, f"NOLOAD segment {vaddr:#x} has load address {paddr:#x}"


def test_no_heap_or_stdio_linked(app_elf):
    _, elf = app_elf
    assert not FORBIDDEN & set(elf.symbols)


def test_result_lines_present(app_elf):
    app, elf = app_elf
    for text in RESULT_STRINGS[app]:
        assert text in elf.image, text


def test_map_file_written(app_elf):
    _, elf = app_elf
    map_file = elf.path.with_suffix(".map")
    assert map_file.is_file()
    assert "m7_vectors" in map_file.read_text()


def test_elf_size_matches_sections(app_elf):
    _, elf = app_elf
    sizes = elf_size(elf.path)
    assert sizes["text"] >= elf.sections[".text"][1] + elf.sections[".isr_vector"][1]
    assert sizes["data"] == elf.sections[".data"][1] + elf.sections[".dtcm"][1]  # writable, copied
    assert sizes["bss"] >= elf.sections[".stack"][1]
    assert sizes["flash"] == sizes["text"] + sizes["data"]


def test_selftest_places_hot_code_and_data_in_tcm(firmware_elf):
    elf = Elf(firmware_elf("selftest"))
    assert elf.sym("itcm_function") & ~1 in range(0x20, 0x4000)  # above the NULL guard
    assert elf.sym("dtcm_word") in DTCM
    assert elf.sym("data_word") in range(0x2002_0000, 0x2007_C000)
    # CMSIS-DSP is linked from the cmsisdsp library
    for fn in ("arm_dot_prod_f32", "arm_mat_mult_f32", "arm_dot_prod_q15"):
        assert elf.symbols[fn]["st_value"] & ~1 in FLASH


def test_faulttest_names_each_fault_function(firmware_elf):
    elf = Elf(firmware_elf("faulttest"))
    for fn in ("fault_unmapped", "fault_undefined", "fault_stack_overflow", "fault_div_by_zero",
               "fault_bad_exc_return"):
        assert elf.symbols[fn]["st_info"]["type"] == "STT_FUNC", fn


def test_unknown_app_is_a_clear_error():
    with pytest.raises(M7Error, match="unknown firmware app"):
        build("no-such-app")


def test_warnings_are_errors(tmp_path, firmware_elf):
    """Project sources compile with -Werror: rebuild selftest's main.c command on a file with an
    unused variable and expect the compiler to refuse it."""
    firmware_elf("selftest")
    commands = json.loads((DEFAULT_BUILD_DIR / "compile_commands.json").read_text())
    entry = next(c for c in commands if c["file"].endswith("app/selftest/main.c"))
    args = shlex.split(entry["command"])
    assert "-Werror" in args
    bad = tmp_path / "bad.c"
    bad.write_text("int f(void) { int unused; return 0; }\n")
    src_index = args.index(entry["file"])
    args[src_index] = str(bad)
    args[args.index("-o") + 1] = str(tmp_path / "bad.o")
    proc = subprocess.run(args, cwd=entry["directory"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "unused variable" in proc.stderr


def test_malloc_does_not_link(tmp_path, firmware_elf):
    """No _sbrk is provided: an app that calls malloc fails to link (the heap is banned, not just unused)."""
    firmware_elf("selftest")
    fw_dir = DEFAULT_BUILD_DIR / "firmware"
    commands = json.loads((DEFAULT_BUILD_DIR / "compile_commands.json").read_text())
    entry = next(c for c in commands if c["file"].endswith("app/selftest/main.c"))
    args = shlex.split(entry["command"])
    src = tmp_path / "heap.c"
    src.write_text("#include <stdlib.h>\nint main(void) { return malloc(16) != 0; }\n")
    obj = tmp_path / "heap.o"
    args[args.index(entry["file"])] = str(src)
    args[args.index("-o") + 1] = str(obj)
    assert subprocess.run(args, cwd=entry["directory"], capture_output=True).returncode == 0
    link = shlex.split((fw_dir / "CMakeFiles" / "selftest.dir" / "link.txt").read_text())
    link = [str(obj) if a.endswith("main.c.obj") else a for a in link]
    link = [a for a in link if not a.startswith("-Wl,-Map=")]
    link[link.index("-o") + 1] = str(tmp_path / "heap.elf")
    proc = subprocess.run(link, cwd=fw_dir, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "_sbrk" in proc.stderr
