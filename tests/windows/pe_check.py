#!/usr/bin/python3
"""PE checks of proctree.sys (python3-pefile; run with Debian's /usr/bin/python3).

    pe_check.py RELEASE.sys TEST.sys

Release driver: machine AMD64, subsystem native, FORCE_INTEGRITY, NX and
dynamic base, entry point = DriverEntry, imports only from ntoskrnl.exe and
hal.dll, no section both writable and executable, valid PE checksum, and no
trace of the test-only injection IOCTL (neither its IOCTL code nor the test
build marker). The test build is checked to carry both, so the last check
can fail.
"""
import struct
import sys

import pefile

IOCTL_PT_TEST_INJECT = (0x8A7E << 16) | (3 << 14) | (0x8F0 << 2) | 0  # CTL_CODE(.., 0x8F0, METHOD_BUFFERED, R|W)
TEST_MARKER = b"TEST-IOCTL"
SCN_WRITE, SCN_EXEC = 0x80000000, 0x20000000

failures = []


def check(name, ok, detail=""):
    print("%-4s %-44s %s" % ("ok" if ok else "FAIL", name, detail))
    if not ok:
        failures.append(name)


def coff_symbol(pe, data, wanted):
    """Value (RVA) of a symbol from the COFF symbol table, or None."""
    ptr, count = pe.FILE_HEADER.PointerToSymbolTable, pe.FILE_HEADER.NumberOfSymbols
    if not ptr or not count:
        return None
    strtab = ptr + count * 18
    i = 0
    while i < count:
        raw = data[ptr + i * 18: ptr + (i + 1) * 18]
        name8, value, section, _type, _cls, aux = struct.unpack("<8sLhHBB", raw)
        if name8[:4] == b"\0\0\0\0":
            off = struct.unpack("<L", name8[4:])[0]
            name = data[strtab + off: data.index(b"\0", strtab + off)]
        else:
            name = name8.rstrip(b"\0")
        if name == wanted and section > 0:
            return pe.sections[section - 1].VirtualAddress + value
        i += 1 + aux
    return None


def section_bytes(pe):
    return b"".join(s.get_data() for s in pe.sections)


def main():
    release, test = sys.argv[1], sys.argv[2]
    data = open(release, "rb").read()
    pe = pefile.PE(data=data)
    oh, fh = pe.OPTIONAL_HEADER, pe.FILE_HEADER
    dc = oh.DllCharacteristics

    check("machine AMD64", fh.Machine == 0x8664, hex(fh.Machine))
    check("subsystem native", oh.Subsystem == 1, str(oh.Subsystem))
    check("FORCE_INTEGRITY", bool(dc & 0x0080), hex(dc))
    check("NX_COMPAT", bool(dc & 0x0100), hex(dc))
    check("DYNAMIC_BASE", bool(dc & 0x0040), hex(dc))
    entry = coff_symbol(pe, data, b"DriverEntry")
    check("entry point is DriverEntry", entry is not None and entry == oh.AddressOfEntryPoint,
          "entry %#x, DriverEntry %s" % (oh.AddressOfEntryPoint, hex(entry) if entry is not None else "not found"))
    dlls = sorted({imp.dll.decode().lower() for imp in getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])})
    check("imports only ntoskrnl.exe/hal.dll", bool(dlls) and set(dlls) <= {"ntoskrnl.exe", "hal.dll"},
          ", ".join(dlls))
    wx = [s.Name.rstrip(b"\0").decode() for s in pe.sections
          if (s.Characteristics & SCN_WRITE) and (s.Characteristics & SCN_EXEC)]
    check("no section writable and executable", not wx, ", ".join(wx) or
          " ".join(s.Name.rstrip(b"\0").decode() for s in pe.sections))
    good = pe.generate_checksum()
    check("PE checksum valid", oh.CheckSum != 0 and oh.CheckSum == good, "%#x (computed %#x)" % (oh.CheckSum, good))

    code = struct.pack("<L", IOCTL_PT_TEST_INJECT)
    rel = section_bytes(pe)
    tpe = pefile.PE(test)
    tst = section_bytes(tpe)
    check("test build has the inject IOCTL (sanity)", code in tst and TEST_MARKER in tst, test)
    check("release has no test IOCTL code", code not in rel and TEST_MARKER not in rel,
          "IOCTL %#x %s, marker %s" % (IOCTL_PT_TEST_INJECT, "present" if code in rel else "absent",
                                       "present" if TEST_MARKER in rel else "absent"))
    if failures:
        print("FAIL: %d PE check(s) failed: %s" % (len(failures), ", ".join(failures)))
        return 1
    print("ok pe-check %s" % release)
    return 0


if __name__ == "__main__":
    sys.exit(main())
