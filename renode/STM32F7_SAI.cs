//
// m7amp: STM32F7 SAI (RM0410 §35) for Renode, loaded at run time:
//     include @renode/STM32F7_SAI.cs          (before machine LoadPlatformDescription)
//
//     sai1: Sound.STM32F7_SAI @ sysbus 0x40015800
//         rcc: rcc
//         dma: dma2
//         IRQ -> nvic@87
//
// Modelled (the subset an I2S full-duplex driver uses; the same as the m7amp simulator's
// m7amp/sim/periph/sai.py):
// - GCR (read back); per block A (0x04) and B (0x24): CR1 (MODE, DS, SYNCEN, NODIV, MCKDIV, SAIEN, DMAEN),
//   CR2 (FFLUSH, FTH; the rest read back), FRCR (FRL), SLOTR (NBSLOT, SLOTEN), IM, SR (OVRUDR, FREQ, FLVL),
//   CLRFR (write 1 to clear), DR (the 8-word FIFO); IRQ is high while an SR flag enabled in IM is set.
// - The frame clock of a master block, in virtual time, from the RCC registers as the firmware programmed
//   them: kernel clock = PLL input (HSE 8 MHz, the Nucleo's ST-LINK clock, or HSI 16 MHz per PLLSRC) * PLLSAIN
//   / (PLLM * PLLSAIQ * PLLSAIDIVQ) (DCKCFGR1.SAI1SEL = PLLSAI; PLLI2S likewise); FS = kernel / (512 * MCKDIV)
//   (MCKDIV = 0: / 256) when NODIV = 0, FS = kernel / (FRL + 1) when NODIV = 1. The exact fraction drives a
//   LimitTimer (frequency = numerator, limit = denominator), so frames land on their exact virtual times.
//   A slave block with SYNCEN = 01 runs on the other block's frames.
// - Each frame, every clocked block moves one FIFO item per active slot (SLOTEN within NBSLOT + 1): a
//   transmitter pops them (its first slot is the output sample), a receiver pushes them (its first slot is
//   the next input sample, the others 0). A transmitter with too few items underruns, a receiver with a
//   full FIFO overruns: OVRUDR is set and Underruns / Overruns count them. With DMAEN, the block requests
//   its DMA (Renode's IDMA: SAI1_A = stream 1 or 3 channel 0, SAI1_B = stream 5 or 4 channel 0/1, RM0410
//   Table 28) while FREQ is set, which CR2.FTH decides in SR.FLVL steps ("Internal FIFOs" of the SAI
//   chapter, as in RM0390/RM0440, whose SAI is the same; taken from there, not checked on a board): a
//   transmitter asks while FLVL < FTH + 1, a receiver while FLVL >= FTH + 1; the DMA reads or writes DR on
//   the bus. At FTH = 1/4 (the firmware's) the TX FIFO holds up to 3 items (1.5 stereo frames) ahead of the
//   frame being sent and the RX FIFO keeps 1 item back.
// - Samples are DS-bit two's complement, right-aligned in the item.
//
// Host audio: InputFile (raw little-endian int16, mono: one sample per frame, the receiver's first slot;
// silence after its end) and OutputFile (raw little-endian int16: the transmitter's first slot of every
// frame, from the first frame). DS other than 16 is scaled to and from 16 bits. Frames counts them.
// StartFile (optional): when the frame clock starts, the model writes the exact frame rate there and holds
// the emulation until InputFile is set: a host learns the firmware's rate and supplies samples at it.
//
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

using Antmicro.Renode.Core;
using Antmicro.Renode.Core.Structure.Registers;
using Antmicro.Renode.Logging;
using Antmicro.Renode.Peripherals.Bus;
using Antmicro.Renode.Peripherals.DMA;
using Antmicro.Renode.Peripherals.Timers;
using Antmicro.Renode.Time;

namespace Antmicro.Renode.Peripherals.Sound
{
    public sealed class STM32F7_SAI : BasicDoubleWordPeripheral, IWordPeripheral, IKnownSize, IDisposable
    {
        public STM32F7_SAI(IMachine machine, IDoubleWordPeripheral rcc = null, IDMA dma = null, ulong hseFrequency = 8000000) : base(machine)
        {
            this.rcc = rcc;
            this.dma = dma;
            this.hseFrequency = hseFrequency;
            blocks = new[]
            {
                new Block(this, "A", 0x04, new[] { 1 << 4 | 0, 3 << 4 | 0 }),
                new Block(this, "B", 0x24, new[] { 5 << 4 | 0, 4 << 4 | 1 }),
            };
            frameTimer = new LimitTimer(machine.ClockSource, 1, this, "frame", limit: 1, direction: Direction.Ascending,
                enabled: false, workMode: WorkMode.Periodic, eventEnabled: true);
            frameTimer.LimitReached += OnFrame;
            DefineRegisters();
            Reset();
        }

        public override void Reset()
        {
            base.Reset();
            frameTimer.Reset();
            frameTimer.Enabled = false;
            foreach(var block in blocks)
            {
                block.Reset();
            }
            gcr = 0;
            Frames = 0;
            Underruns = 0;
            Overruns = 0;
            inputPosition = 0;
            UpdateInterrupt();
        }

        public void Dispose()
        {
            output?.Dispose();
            output = null;
        }

        public ushort ReadWord(long offset)
        {
            var block = BlockAt(offset);
            if(block != null && offset - block.Offset == DataRegister)
            {
                return (ushort)block.Pop();
            }
            return (ushort)(ReadDoubleWord(offset & ~3) >> (int)(8 * (offset & 3)));
        }

        public void WriteWord(long offset, ushort value)
        {
            var block = BlockAt(offset);
            if(block != null && offset - block.Offset == DataRegister)
            {
                block.Push(value);
                return;
            }
            var shift = (int)(8 * (offset & 3));
            var old = ReadDoubleWord(offset & ~3);
            WriteDoubleWord(offset & ~3, (old & ~(0xFFFFu << shift)) | ((uint)value << shift));
        }

        public long Size => 0x400;

        public GPIO IRQ { get; } = new GPIO();

        public string InputFile
        {
            get => inputFile;
            set
            {
                inputFile = value;
                var bytes = string.IsNullOrEmpty(value) ? new byte[0] : File.ReadAllBytes(value);
                input = new short[bytes.Length / 2];
                Buffer.BlockCopy(bytes, 0, input, 0, input.Length * 2);
                inputPosition = 0;
                inputGeneration++;
            }
        }

        public string OutputFile
        {
            get => outputFile;
            set
            {
                output?.Dispose();
                outputFile = value;
                output = string.IsNullOrEmpty(value) ? null : new BinaryWriter(File.Create(value));
            }
        }

        // written with "<numerator>/<denominator>" (the frame rate in Hz) when the frame clock starts; the
        // emulation then waits (up to StartTimeout host seconds) until InputFile is set
        public string StartFile { get; set; }

        public int StartTimeout { get; set; } = 60;

        // pause the emulation after this frame (0: never), so that a host gets exactly this much audio
        public ulong PauseAtFrame { get; set; }

        public ulong Frames { get; private set; }

        public ulong Underruns { get; private set; }

        public ulong Overruns { get; private set; }

        // the frame rate of the clocked master block, as numerator / denominator (0 / 1: no clock)
        public string FrameRate => frameTimer.Enabled ? $"{frameTimer.Frequency}/{frameTimer.Limit}" : "0/1";

        private void DefineRegisters()
        {
            RegistersCollection.DefineRegister(0x00)
                .WithValueField(0, 32, valueProviderCallback: _ => gcr, writeCallback: (_, value) => gcr = (uint)value & 0x33, name: "GCR");
            foreach(var block in blocks)
            {
                block.DefineRegisters(RegistersCollection);
            }
        }

        private Block BlockAt(long offset)
        {
            return blocks.FirstOrDefault(b => offset >= b.Offset && offset < b.Offset + 0x20);
        }

        private Block Other(Block block) => block == blocks[0] ? blocks[1] : blocks[0];

        private bool Clocked(Block block)
        {
            if(!block.Enabled)
            {
                return false;
            }
            if(block.Master)
            {
                return true;
            }
            var other = Other(block);
            return block.SyncEnable == 1 && other.Enabled && other.Master;
        }

        // a block's SAIEN changed: (re)start or stop the frame clock
        private void ClockChanged()
        {
            var master = blocks.FirstOrDefault(b => b.Enabled && b.Master);
            if(master == null)
            {
                frameTimer.Enabled = false;
                return;
            }
            if(frameTimer.Enabled)
            {
                return;
            }
            if(!FrameRateOf(master, out var numerator, out var denominator))
            {
                return;
            }
            frameTimer.Frequency = numerator;
            frameTimer.Limit = denominator;
            frameTimer.Value = 0;
            frameTimer.Enabled = true;
            this.InfoLog("Block {0}: frame clock {1}/{2} Hz = {3:F3} Hz", master.Name, numerator, denominator, (double)numerator / denominator);
            if(!string.IsNullOrEmpty(StartFile))
            {
                HoldForInput(numerator, denominator);
            }
        }

        // StartFile: tell the host the frame rate, then hold the emulation (virtual time stands still) until
        // the host sets InputFile, so that it can supply samples at the firmware's rate from the first frame
        private void HoldForInput(ulong numerator, ulong denominator)
        {
            var before = inputGeneration;
            File.WriteAllText(StartFile, $"{numerator}/{denominator}\n");
            var deadline = DateTime.UtcNow.AddSeconds(StartTimeout);
            while(inputGeneration == before)
            {
                if(DateTime.UtcNow > deadline)
                {
                    this.ErrorLog("No InputFile within {0} s of the frame clock start: playing silence", StartTimeout);
                    return;
                }
                System.Threading.Thread.Sleep(5);
            }
        }

        private bool FrameRateOf(Block block, out ulong numerator, out ulong denominator)
        {
            numerator = 0;
            denominator = 1;
            if(rcc == null)
            {
                this.WarningLog("Block {0} enabled as master, but no rcc is connected: no frames", block.Name);
                return false;
            }
            var cr = rcc.ReadDoubleWord(RccControl);
            var pllcfgr = rcc.ReadDoubleWord(RccPllConfiguration);
            var dckcfgr1 = rcc.ReadDoubleWord(RccDedicatedClocks1);
            var input = (pllcfgr & (1u << 22)) != 0 ? hseFrequency : HsiFrequency;
            var m = pllcfgr & 0x3F;
            var select = (dckcfgr1 >> 20) & 3;
            uint pllConfig, ready, divq;
            if(select == 0)
            {
                pllConfig = rcc.ReadDoubleWord(RccPllSaiConfiguration);
                ready = 1u << 29;
                divq = ((dckcfgr1 >> 8) & 0x1F) + 1;
            }
            else if(select == 1)
            {
                pllConfig = rcc.ReadDoubleWord(RccPllI2sConfiguration);
                ready = 1u << 27;
                divq = (dckcfgr1 & 0x1F) + 1;
            }
            else
            {
                this.WarningLog("Block {0}: SAI1SEL = {1} (I2S_CKIN or HSI/HSE input) is not modelled: no frames", block.Name, select);
                return false;
            }
            var n = (pllConfig >> 6) & 0x1FF;
            var q = (pllConfig >> 24) & 0xF;
            if((cr & ready) == 0 || n < 50 || q < 2 || m < 2)
            {
                this.WarningLog("Block {0} enabled as master without a kernel clock (PLL off or misconfigured): no frames", block.Name);
                return false;
            }
            numerator = input * n;
            denominator = (ulong)m * q * divq;
            if(block.NoDivider)
            {
                denominator *= block.FrameLength;
            }
            else
            {
                var mckdiv = block.MasterClockDivider;
                denominator *= mckdiv == 0 ? 256u : 512u * mckdiv;
                var frl = block.FrameLength;
                if(frl < 8 || (frl & (frl - 1)) != 0)
                {
                    this.WarningLog("Block {0}: FRL + 1 = {1} is not a power of two >= 8 (required when NODIV = 0)", block.Name, frl);
                }
            }
            var gcd = Gcd(numerator, denominator);
            numerator /= gcd;
            denominator /= gcd;
            return true;
        }

        private static ulong Gcd(ulong a, ulong b)
        {
            while(b != 0)
            {
                var t = a % b;
                a = b;
                b = t;
            }
            return a;
        }

        private void OnFrame()
        {
            Frames++;
            foreach(var block in blocks)
            {
                if(!Clocked(block))
                {
                    continue;
                }
                var slots = block.ActiveSlots;
                if(block.Transmitter)
                {
                    for(var i = 0; i < slots; i++)
                    {
                        if(!block.TryPop(out var item))
                        {
                            Underruns++;
                            block.SetStatus(StatusOverrunUnderrun);
                            item = 0;
                        }
                        if(i == 0)
                        {
                            output?.Write(block.To16(item));
                        }
                    }
                    block.ServeDma();
                }
                else
                {
                    var sample = inputPosition < input.Length ? input[inputPosition] : (short)0;
                    inputPosition++;
                    for(var i = 0; i < slots; i++)
                    {
                        if(!block.TryPush(i == 0 ? block.From16(sample) : 0))
                        {
                            Overruns++;
                            block.SetStatus(StatusOverrunUnderrun);
                        }
                    }
                    block.ServeDma();
                }
            }
            if(Frames == PauseAtFrame)
            {
                output?.Flush();
                machine.PauseAndRequestEmulationPause(precise: true);
            }
            else if(output != null && Frames % 256 == 0)
            {
                output.Flush();
            }
        }

        private void UpdateInterrupt()
        {
            IRQ.Set(blocks.Any(b => (b.Status & b.InterruptMask & 0x7F) != 0));
        }

        private uint gcr;
        private string inputFile;
        private string outputFile;
        private short[] input = new short[0];
        private long inputPosition;
        private volatile int inputGeneration;
        private BinaryWriter output;

        private readonly IDoubleWordPeripheral rcc;
        private readonly IDMA dma;
        private readonly ulong hseFrequency;
        private readonly Block[] blocks;
        private readonly LimitTimer frameTimer;

        private const long DataRegister = 0x1C;
        private const uint StatusOverrunUnderrun = 1u << 0;
        private const uint StatusFifoRequest = 1u << 3;
        private const ulong HsiFrequency = 16000000;
        private const long RccControl = 0x00;
        private const long RccPllConfiguration = 0x04;
        private const long RccPllI2sConfiguration = 0x84;
        private const long RccPllSaiConfiguration = 0x88;
        private const long RccDedicatedClocks1 = 0x8C;

        private class Block
        {
            public Block(STM32F7_SAI parent, string name, long offset, int[] dmaRequests)
            {
                this.parent = parent;
                Name = name;
                Offset = offset;
                this.dmaRequests = dmaRequests;
            }

            public void Reset()
            {
                cr1 = Cr1Reset;
                cr2 = 0;
                frcr = FrcrReset;
                slotr = 0;
                InterruptMask = 0;
                status = 0;
                fifo.Clear();
            }

            public void DefineRegisters(DoubleWordRegisterCollection registers)
            {
                registers.DefineRegister(Offset + 0x00, Cr1Reset)
                    .WithValueField(0, 32, valueProviderCallback: _ => cr1, writeCallback: (_, value) => WriteCr1((uint)value), name: $"{Name}CR1");
                registers.DefineRegister(Offset + 0x04)
                    .WithValueField(0, 32, valueProviderCallback: _ => cr2, writeCallback: (_, value) => WriteCr2((uint)value), name: $"{Name}CR2");
                registers.DefineRegister(Offset + 0x08, FrcrReset)
                    .WithValueField(0, 32, valueProviderCallback: _ => frcr, writeCallback: (_, value) => WriteConfig(ref frcr, (uint)value & 0x7FFFF, "FRCR"), name: $"{Name}FRCR");
                registers.DefineRegister(Offset + 0x0C)
                    .WithValueField(0, 32, valueProviderCallback: _ => slotr, writeCallback: (_, value) => WriteConfig(ref slotr, (uint)value & 0xFFFF0FDF, "SLOTR"), name: $"{Name}SLOTR");
                registers.DefineRegister(Offset + 0x10)
                    .WithValueField(0, 32, valueProviderCallback: _ => InterruptMask, writeCallback: (_, value) => { InterruptMask = (uint)value & 0x7F; parent.UpdateInterrupt(); }, name: $"{Name}IM");
                registers.DefineRegister(Offset + 0x14)
                    .WithValueField(0, 32, FieldMode.Read, valueProviderCallback: _ => Status | ((uint)FifoLevel << 16), name: $"{Name}SR");
                registers.DefineRegister(Offset + 0x18)
                    .WithValueField(0, 32, FieldMode.Write, writeCallback: (_, value) => { status &= ~((uint)value & 0x77); parent.UpdateInterrupt(); }, name: $"{Name}CLRFR");
                registers.DefineRegister(Offset + DataRegister)
                    .WithValueField(0, 32, valueProviderCallback: _ => Pop(), writeCallback: (_, value) => Push((uint)value), name: $"{Name}DR");
            }

            public string Name { get; }

            public long Offset { get; }

            public uint InterruptMask { get; private set; }

            public bool Enabled => (cr1 & Cr1Enable) != 0;

            public bool Master => (cr1 & 3) < 2;

            public bool Transmitter => (cr1 & 3) == 0 || (cr1 & 3) == 2;

            public uint SyncEnable => (cr1 >> 10) & 3;

            public bool NoDivider => (cr1 & Cr1NoDivider) != 0;

            public uint MasterClockDivider => (cr1 >> 20) & 0xF;

            public uint FrameLength => (frcr & 0xFF) + 1;

            public int DataBits
            {
                get
                {
                    switch((cr1 >> 5) & 7)
                    {
                    case 2: return 8;
                    case 3: return 10;
                    case 4: return 16;
                    case 5: return 20;
                    case 6: return 24;
                    case 7: return 32;
                    default: return 16;
                    }
                }
            }

            public int ActiveSlots
            {
                get
                {
                    var count = (int)((slotr >> 8) & 0xF) + 1;
                    var enabled = (slotr >> 16) & ((1u << count) - 1);
                    var slots = 0;
                    for(; enabled != 0; enabled &= enabled - 1)
                    {
                        slots++;
                    }
                    return slots;
                }
            }

            // FREQ (the SAI chapter's "Internal FIFOs", in FLVL steps): a transmitter asks while FLVL < FTH + 1, a receiver
            // while FLVL >= FTH + 1 (FTH = 1/4: a transmitter's FIFO is topped up to 3 items, a receiver's
            // drained to 1)
            public uint Status => status | (FifoRequest && Enabled ? StatusFifoRequest : 0);

            private bool FifoRequest
            {
                get
                {
                    var threshold = (int)Math.Min(cr2 & Cr2FifoThreshold, 4u) + 1;
                    return Transmitter ? FifoLevel < threshold : FifoLevel >= threshold;
                }
            }

            public short To16(uint item)
            {
                var bits = DataBits;
                var value = (long)(item & (bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1));
                if((value & (1L << (bits - 1))) != 0)
                {
                    value -= 1L << bits;
                }
                return (short)(bits >= 16 ? value >> (bits - 16) : value << (16 - bits));
            }

            public uint From16(short sample)
            {
                var bits = DataBits;
                var value = bits >= 16 ? (long)sample << (bits - 16) : (long)sample >> (16 - bits);
                return (uint)(value & (bits == 32 ? 0xFFFFFFFFL : (1L << bits) - 1));
            }

            public bool TryPop(out uint item)
            {
                if(fifo.Count == 0)
                {
                    item = 0;
                    return false;
                }
                item = fifo.Dequeue();
                return true;
            }

            public bool TryPush(uint item)
            {
                if(fifo.Count >= FifoDepth)
                {
                    return false;
                }
                fifo.Enqueue(item);
                return true;
            }

            // DR read: the oldest received item (a transmitter's DR reads 0)
            public uint Pop()
            {
                if(Transmitter || fifo.Count == 0)
                {
                    return 0;
                }
                return fifo.Dequeue();
            }

            // DR write: queue an item to transmit (dropped with a warning when the FIFO is full)
            public void Push(uint value)
            {
                if(!Transmitter)
                {
                    return;
                }
                if(!TryPush(value))
                {
                    parent.WarningLog("Block {0}: DR written with a full FIFO (item dropped)", Name);
                }
            }

            // the DMA serves the block while FREQ is asserted (a transmitter's FIFO is topped up to the FTH
            // threshold, a receiver's drained below it), one request per item
            public void ServeDma()
            {
                if((cr1 & Cr1DmaEnable) == 0 || parent.dma == null)
                {
                    return;
                }
                while(FifoRequest)
                {
                    var before = fifo.Count;
                    foreach(var request in dmaRequests)
                    {
                        parent.dma.RequestTransfer(request);
                        if(fifo.Count != before)
                        {
                            break;
                        }
                    }
                    if(fifo.Count == before)
                    {
                        return; // no stream serves this block now
                    }
                }
            }

            public void SetStatus(uint bits)
            {
                status |= bits;
                parent.UpdateInterrupt();
            }

            // SR.FLVL: 0 empty, 5 full; between, a transmitter counts 1-2, 3-4, 5-6, 7 items as 1-4 and a
            // receiver 1, 2-3, 4-5, 6-7 (SAI_xSR.FLVL)
            private int FifoLevel
            {
                get
                {
                    var n = fifo.Count;
                    if(n == 0 || n >= FifoDepth)
                    {
                        return n == 0 ? 0 : 5;
                    }
                    return Transmitter ? (n + 1) / 2 : n / 2 + 1;
                }
            }

            private void WriteCr1(uint value)
            {
                const uint runtimeBits = Cr1Enable | Cr1DmaEnable;
                if(Enabled && ((cr1 ^ value) & ~runtimeBits) != 0)
                {
                    parent.WarningLog("Block {0}: CR1 configuration written while SAIEN = 1 (ignored, as on the chip)", Name);
                    value = (cr1 & ~runtimeBits) | (value & runtimeBits);
                }
                var old = cr1;
                cr1 = value & 0x0FFF3FFF;
                if(((old ^ cr1) & Cr1Enable) != 0)
                {
                    parent.ClockChanged();
                }
                if((cr1 & Cr1DmaEnable) != 0 && Transmitter)
                {
                    ServeDma(); // the TX stream fills the FIFO up to FTH as soon as DMAEN is set
                }
                parent.UpdateInterrupt();
            }

            private void WriteCr2(uint value)
            {
                if((value & Cr2FifoFlush) != 0)
                {
                    fifo.Clear();
                }
                cr2 = value & ~Cr2FifoFlush;
                parent.UpdateInterrupt();
            }

            private void WriteConfig(ref uint register, uint value, string name)
            {
                if(Enabled)
                {
                    parent.WarningLog("Block {0}: {1} written while SAIEN = 1 (ignored, as on the chip)", Name, name);
                    return;
                }
                register = value;
            }

            private uint cr1;
            private uint cr2;
            private uint frcr;
            private uint slotr;
            private uint status;
            private readonly Queue<uint> fifo = new Queue<uint>();
            private readonly int[] dmaRequests;
            private readonly STM32F7_SAI parent;

            private const int FifoDepth = 8;
            private const uint Cr1Reset = 0x40;
            private const uint FrcrReset = 0x07;
            private const uint Cr1Enable = 1u << 16;
            private const uint Cr1DmaEnable = 1u << 17;
            private const uint Cr1NoDivider = 1u << 19;
            private const uint Cr2FifoFlush = 1u << 3;
            private const uint Cr2FifoThreshold = 0x7;
        }
    }
}
