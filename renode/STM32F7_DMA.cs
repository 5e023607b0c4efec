//
// m7amp: STM32F7 DMA controller (RM0410 §8) for Renode, loaded at run time:
//     include @renode/STM32F7_DMA.cs          (before machine LoadPlatformDescription)
//
// Renode's own DMA.STM32DMA moves a whole memory-to-peripheral buffer at EN and has no CIRC, DBM,
// half-transfer flag or HTIE, so an F7 audio driver (circular double buffers, one half per interrupt)
// cannot run on it. This model serves peripheral requests one item at a time:
// - requests come through Renode's IDMA interface: RequestTransfer(stream * 16 + channel) moves one item
//   if that stream is enabled with that CHSEL (RM0410 Table 28 is the requesting peripheral's business);
//   the item goes through the system bus (the peripheral's data register sees a normal 8/16/32-bit access);
// - NDTR counts down; HTIF at half, TCIF at the end; CIRC reloads NDTR, DBM reloads it and toggles CT
//   (M0AR/M1AR); neither: EN clears at TC;
// - LISR/HISR, LIFCR/HIFCR (write 1 to clear), one IRQ per stream: TCIE/HTIE/TEIE on their flags;
// - FIFO: direct mode only (FCR reads back, FS reads "empty"); PSIZE must equal MSIZE (else warned);
//   memory-to-memory, bursts, PINC and errors (TEIF, DMEIF, FEIF stay 0) are not modelled.
//
// Deadline misses (the m7amp simulator's definition, m7amp/sim/periph/dma.py): a memory-to-peripheral
// buffer is split in regions (the two halves of a circular buffer, or M0/M1 in DBM). While such a stream
// is enabled, CPU stores to the first item of each region are watched (a system-bus write watchpoint on
// its address: a watchpoint hit costs the CPU a translation-block exit, so one per region, not one per
// item); a region counts as rewritten once that item was stored to after the DMA finished reading the
// region. When the DMA starts reading a region that was not rewritten since its last pass, that is one
// miss (the first pass after EN, the firmware's initial contents, never is). DeadlineMisses is the total.
// (The simulator watches every store into the region; for a driver that writes a whole half per
// interrupt, as m7amp's does, both see the same misses.)
//
// TraceFile (optional): one text line per HT/TC event of a stream that has HTIE or TCIE set:
//   "<stream> <HT|TC> <virtual time in ns> <deadline misses so far> [<TraceWords words from TraceAddress>]"
// so that a host can sample firmware counters exactly when the firmware's interrupt becomes pending.
//
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

using Antmicro.Renode.Core;
using Antmicro.Renode.Core.Structure.Registers;
using Antmicro.Renode.Logging;
using Antmicro.Renode.Peripherals.Bus;
using Antmicro.Renode.Peripherals.CPU;

namespace Antmicro.Renode.Peripherals.DMA
{
    public sealed class STM32F7_DMA : BasicDoubleWordPeripheral, IKnownSize, IDMA, INumberedGPIOOutput, IDisposable
    {
        public STM32F7_DMA(IMachine machine) : base(machine)
        {
            sysbus = machine.GetSystemBus(this);
            streams = Enumerable.Range(0, NrOfStreams).Select(i => new Stream(this, i)).ToArray();
            Connections = Enumerable.Range(0, NrOfStreams).ToDictionary(i => i, i => (IGPIO)streams[i].IRQ);
            DefineRegisters();
            Reset();
        }

        public override void Reset()
        {
            base.Reset();
            foreach(var stream in streams)
            {
                stream.Reset();
            }
            DeadlineMisses = 0;
        }

        public void Dispose()
        {
            trace?.Dispose();
            trace = null;
        }

        // IDMA: one item for request `channel` = stream * 16 + CHSEL
        public void RequestTransfer(int channel)
        {
            var n = channel >> 4;
            if(n < 0 || n >= NrOfStreams)
            {
                this.WarningLog("Request {0}: no stream {1}", channel, n);
                return;
            }
            streams[n].Request(channel & 0xF);
        }

        public int NumberOfChannels => NrOfStreams * 16;

        public long Size => 0x400;

        public IReadOnlyDictionary<int, IGPIO> Connections { get; }

        public ulong DeadlineMisses { get; private set; }

        public string TraceFile
        {
            get => traceFile;
            set
            {
                trace?.Dispose();
                traceFile = value;
                trace = string.IsNullOrEmpty(value) ? null : new StreamWriter(value, false, Encoding.ASCII);
            }
        }

        public ulong TraceAddress { get; set; }

        public int TraceWords { get; set; }

        private void DefineRegisters()
        {
            RegistersCollection.DefineRegister((long)Registers.LowInterruptStatus)
                .WithValueField(0, 32, FieldMode.Read, valueProviderCallback: _ => StatusWord(0), name: "LISR");
            RegistersCollection.DefineRegister((long)Registers.HighInterruptStatus)
                .WithValueField(0, 32, FieldMode.Read, valueProviderCallback: _ => StatusWord(4), name: "HISR");
            RegistersCollection.DefineRegister((long)Registers.LowInterruptClear)
                .WithValueField(0, 32, FieldMode.Write, writeCallback: (_, value) => ClearFlags(0, (uint)value), name: "LIFCR");
            RegistersCollection.DefineRegister((long)Registers.HighInterruptClear)
                .WithValueField(0, 32, FieldMode.Write, writeCallback: (_, value) => ClearFlags(4, (uint)value), name: "HIFCR");
            foreach(var s in streams)
            {
                s.DefineRegisters(RegistersCollection, (long)Registers.StreamBase + StreamStep * s.Id);
            }
        }

        private uint StatusWord(int first)
        {
            uint word = 0;
            for(var i = 0; i < 4; i++)
            {
                word |= streams[first + i].Flags << FlagShift[i];
            }
            return word;
        }

        private void ClearFlags(int first, uint value)
        {
            for(var i = 0; i < 4; i++)
            {
                streams[first + i].ClearFlags((value >> FlagShift[i]) & FlagMask);
            }
        }

        private void Trace(int stream, string what)
        {
            if(trace == null)
            {
                return;
            }
            var line = new StringBuilder();
            line.AppendFormat("{0} {1} {2} {3}", stream, what,
                machine.LocalTimeSource.ElapsedVirtualTime.TotalNanoseconds, DeadlineMisses);
            for(var i = 0; i < TraceWords; i++)
            {
                line.Append(' ').Append(sysbus.ReadDoubleWord(TraceAddress + 4 * (ulong)i));
            }
            trace.WriteLine(line.ToString());
            trace.Flush();
        }

        private string traceFile;
        private StreamWriter trace;
        private readonly IBusController sysbus;
        private readonly Stream[] streams;

        private static readonly int[] FlagShift = { 0, 6, 16, 22 };

        private const int NrOfStreams = 8;
        private const int StreamStep = 0x18;
        private const uint FlagMask = 0x3D;
        private const uint FlagHalf = 1u << 4;
        private const uint FlagComplete = 1u << 5;
        private const uint FlagTransferError = 1u << 3;

        private class Stream
        {
            public Stream(STM32F7_DMA parent, int id)
            {
                this.parent = parent;
                Id = id;
            }

            public void Reset()
            {
                Stop();
                cr = ndtr = par = m0ar = m1ar = 0;
                fcr = FcrReset;
                Flags = 0;
                IRQ.Unset();
            }

            public void DefineRegisters(DoubleWordRegisterCollection registers, long offset)
            {
                registers.DefineRegister(offset + 0x00)
                    .WithValueField(0, 32, valueProviderCallback: _ => cr, writeCallback: (_, value) => WriteControl((uint)value), name: "CR");
                registers.DefineRegister(offset + 0x04)
                    .WithValueField(0, 32, valueProviderCallback: _ => ndtr, writeCallback: (_, value) => WriteConfig(ref ndtr, (uint)value & 0xFFFF, "NDTR"), name: "NDTR");
                registers.DefineRegister(offset + 0x08)
                    .WithValueField(0, 32, valueProviderCallback: _ => par, writeCallback: (_, value) => WriteConfig(ref par, (uint)value, "PAR"), name: "PAR");
                registers.DefineRegister(offset + 0x0C)
                    .WithValueField(0, 32, valueProviderCallback: _ => m0ar, writeCallback: (_, value) => WriteMemoryAddress(0, (uint)value), name: "M0AR");
                registers.DefineRegister(offset + 0x10)
                    .WithValueField(0, 32, valueProviderCallback: _ => m1ar, writeCallback: (_, value) => WriteMemoryAddress(1, (uint)value), name: "M1AR");
                registers.DefineRegister(offset + 0x14, FcrReset)
                    .WithValueField(0, 32, valueProviderCallback: _ => (fcr & ~0x38u) | (4u << 3), writeCallback: (_, value) => WriteConfig(ref fcr, (uint)value & 0xBF, "FCR"), name: "FCR");
            }

            public int Id { get; }

            public GPIO IRQ { get; } = new GPIO();

            public uint Flags { get; private set; }

            public bool Enabled => (cr & CrEnable) != 0;

            public int Channel => (int)((cr >> 25) & 0xF);

            public void ClearFlags(uint bits)
            {
                Flags &= ~bits;
                UpdateInterrupt();
            }

            public void Request(int channel)
            {
                if(!Enabled || channel != Channel)
                {
                    return;
                }
                var size = 1u << (int)((cr >> 11) & 3);
                var doubleBuffer = (cr & CrDoubleBuffer) != 0;
                var index = count - remaining;
                var memory = ((doubleBuffer && (cr & CrCurrentTarget) != 0) ? m1ar : m0ar) + ((cr & CrMemoryIncrement) != 0 ? index * size : 0);
                var direction = (cr >> 6) & 3;
                if(direction == MemoryToPeripheral)
                {
                    if(remaining == count || (!doubleBuffer && remaining == count / 2))
                    {
                        BeginRegion(CurrentRegion);
                    }
                    Write(par, size, Read(memory, size));
                }
                else if(direction == PeripheralToMemory)
                {
                    Write(memory, size, Read(par, size));
                }
                else
                {
                    return;
                }
                remaining--;
                ndtr = remaining;
                Boundary(doubleBuffer);
            }

            private int CurrentRegion => (cr & CrDoubleBuffer) != 0
                ? ((cr & CrCurrentTarget) != 0 ? 1 : 0)
                : (remaining > count / 2 ? 0 : 1);

            private void Boundary(bool doubleBuffer)
            {
                if(remaining == count / 2 && remaining != 0)
                {
                    if(!doubleBuffer)
                    {
                        EndRegion(0);
                    }
                    SetFlags(FlagHalf, "HT");
                }
                if(remaining != 0)
                {
                    return;
                }
                EndRegion(CurrentRegion);
                if(doubleBuffer)
                {
                    cr ^= CrCurrentTarget;
                    remaining = count;
                }
                else if((cr & CrCircular) != 0)
                {
                    remaining = count;
                }
                else
                {
                    Stop();
                    cr &= ~CrEnable;
                }
                ndtr = remaining;
                SetFlags(FlagComplete, "TC");
            }

            private void SetFlags(uint bits, string what)
            {
                Flags |= bits;
                UpdateInterrupt();
                if((cr & (CrHalfIrq | CrCompleteIrq)) != 0)
                {
                    parent.Trace(Id, what);
                }
            }

            private void UpdateInterrupt()
            {
                IRQ.Set(((cr & CrCompleteIrq) != 0 && (Flags & FlagComplete) != 0)
                    || ((cr & CrHalfIrq) != 0 && (Flags & FlagHalf) != 0)
                    || ((cr & CrErrorIrq) != 0 && (Flags & FlagTransferError) != 0));
            }

            private uint Read(uint address, uint size)
            {
                switch(size)
                {
                case 1: return parent.sysbus.ReadByte(address, parent);
                case 2: return parent.sysbus.ReadWord(address, parent);
                default: return parent.sysbus.ReadDoubleWord(address, parent);
                }
            }

            private void Write(uint address, uint size, uint value)
            {
                switch(size)
                {
                case 1: parent.sysbus.WriteByte(address, (byte)value, parent); break;
                case 2: parent.sysbus.WriteWord(address, (ushort)value, parent); break;
                default: parent.sysbus.WriteDoubleWord(address, value, parent); break;
                }
            }

            private void WriteControl(uint value)
            {
                const uint runtimeBits = CrEnable | CrCompleteIrq | CrHalfIrq | CrErrorIrq | CrDirectModeErrorIrq;
                if(Enabled)
                {
                    if(((cr ^ value) & ~(runtimeBits | CrCurrentTarget)) != 0)
                    {
                        parent.WarningLog("S{0}CR configuration written while EN = 1 (ignored, as on the chip)", Id);
                    }
                    cr = (cr & ~runtimeBits) | (value & runtimeBits);
                    if(!Enabled)
                    {
                        Stop();
                    }
                }
                else
                {
                    cr = value;
                    if(Enabled)
                    {
                        Start();
                    }
                }
                UpdateInterrupt();
            }

            private void WriteConfig(ref uint register, uint value, string name)
            {
                if(Enabled)
                {
                    parent.WarningLog("S{0}{1} written while the stream is enabled (ignored, as on the chip)", Id, name);
                    return;
                }
                register = value;
            }

            private void WriteMemoryAddress(int which, uint value)
            {
                // in DBM the buffer the DMA is not using may be changed while enabled (RM0410 §8.3.10)
                var idle = (cr & CrDoubleBuffer) != 0 && ((cr & CrCurrentTarget) != 0 ? 1 : 0) != which;
                if(Enabled && !idle)
                {
                    parent.WarningLog("S{0}M{1}AR written while the stream uses it (ignored, as on the chip)", Id, which);
                    return;
                }
                if(which == 0)
                {
                    m0ar = value;
                }
                else
                {
                    m1ar = value;
                }
            }

            private void Start()
            {
                var psize = 1u << (int)((cr >> 11) & 3);
                var msize = 1u << (int)((cr >> 13) & 3);
                if(psize != msize)
                {
                    parent.WarningLog("S{0}: PSIZE {1} != MSIZE {2} (FIFO packing not modelled; using PSIZE)", Id, psize, msize);
                }
                if(((cr >> 6) & 3) > 1)
                {
                    parent.WarningLog("S{0}: memory-to-memory transfers are not modelled", Id);
                }
                count = remaining = ndtr;
                if(count == 0)
                {
                    parent.WarningLog("S{0}: enabled with NDTR = 0 (the chip does not start it)", Id);
                    cr &= ~CrEnable;
                    return;
                }
                written = new bool[2];
                readOnce = new bool[2];
                if(((cr >> 6) & 3) == MemoryToPeripheral)
                {
                    Watch(psize);
                }
            }

            private void Stop()
            {
                foreach(var address in watched)
                {
                    parent.sysbus.RemoveWatchpointHook(address, OnStore);
                }
                watched.Clear();
            }

            // the regions of the buffer: the halves, or M0/M1 in DBM (their first items are watched)
            private void Watch(uint size)
            {
                var doubleBuffer = (cr & CrDoubleBuffer) != 0;
                regionStart = new ulong[2];
                regionStart[0] = m0ar;
                regionStart[1] = doubleBuffer ? m1ar : m0ar + (count - count / 2) * size;
                for(var r = 0; r < 2; r++)
                {
                    var address = regionStart[r] & ~1ul;
                    if(watched.Add(address))
                    {
                        parent.sysbus.AddWatchpointHook(address, AnyWidth, Access.Write, OnStore);
                    }
                }
                // the CPU may hold the buffer's page in its TLB from before the hooks: drop it, so that
                // the next store goes through the bus and its watchpoints
                foreach(var cpu in parent.sysbus.GetCPUs().OfType<TranslationCPU>())
                {
                    foreach(var address in watched)
                    {
                        cpu.FlushTlbPage(address);
                    }
                }
            }

            private void OnStore(ICpuSupportingGdb cpu, ulong address, SysbusAccessWidth width, ulong value)
            {
                for(var r = 0; r < 2; r++)
                {
                    if(address == (regionStart[r] & ~1ul))
                    {
                        written[r] = true;
                    }
                }
            }

            private void BeginRegion(int region)
            {
                if(readOnce[region] && !written[region])
                {
                    parent.DeadlineMisses++;
                    parent.NoisyLog("S{0}: region {1} started before the CPU rewrote it (deadline miss)", Id, region);
                }
                readOnce[region] = true;
            }

            private void EndRegion(int region)
            {
                written[region] = false; // the next store counts as a rewrite
            }

            private uint cr;
            private uint ndtr;
            private uint par;
            private uint m0ar;
            private uint m1ar;
            private uint fcr;
            private uint count;
            private uint remaining;
            private bool[] written = new bool[2];
            private bool[] readOnce = new bool[2];
            private ulong[] regionStart = new ulong[2];
            private readonly HashSet<ulong> watched = new HashSet<ulong>();
            private readonly STM32F7_DMA parent;

            private const SysbusAccessWidth AnyWidth = SysbusAccessWidth.Byte | SysbusAccessWidth.Word | SysbusAccessWidth.DoubleWord | SysbusAccessWidth.QuadWord;
            private const uint FcrReset = 0x21;
            private const uint CrEnable = 1u << 0;
            private const uint CrDirectModeErrorIrq = 1u << 1;
            private const uint CrErrorIrq = 1u << 2;
            private const uint CrHalfIrq = 1u << 3;
            private const uint CrCompleteIrq = 1u << 4;
            private const uint CrCircular = 1u << 8;
            private const uint CrMemoryIncrement = 1u << 10;
            private const uint CrDoubleBuffer = 1u << 18;
            private const uint CrCurrentTarget = 1u << 19;
            private const uint PeripheralToMemory = 0;
            private const uint MemoryToPeripheral = 1;
        }

        private enum Registers
        {
            LowInterruptStatus = 0x0,   // DMA_LISR
            HighInterruptStatus = 0x4,  // DMA_HISR
            LowInterruptClear = 0x8,    // DMA_LIFCR
            HighInterruptClear = 0xC,   // DMA_HIFCR
            StreamBase = 0x10,          // DMA_S0CR; stream n at 0x10 + 0x18 * n: CR, NDTR, PAR, M0AR, M1AR, FCR
        }
    }
}
