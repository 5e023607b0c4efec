*** Settings ***
Documentation       The audio firmware (the ELF the simulator and a board run) on the m7amp board description
...                 in Renode, with m7amp's SAI1 and DMA2 models (renode/STM32F7_SAI.cs, STM32F7_DMA.cs, which
...                 renode/m7amp.resc compiles): a guitar signal goes into SAI1 block B from a file, and the
...                 firmware's own UART report shows a second of blocks with no overrun. Written with Renode's
...                 own keywords (renode-keywords.robot), run by Renode's renode-test: scripts/renode-robot.sh
...                 (make renode-robot) builds the ELF and writes the input. Timeouts are virtual time.
Suite Setup         Setup
Suite Teardown      Teardown
Test Setup          Reset Emulation
Test Teardown       Test Teardown
Resource            ${RENODEKEYWORDS}


*** Variables ***
${RESC}             ${CURDIR}/../m7amp.resc
${AUDIO}            ${CURDIR}/../../build/fw/firmware/app/audio/audio.elf
# raw little-endian int16, mono, 48 kHz (the SAI model's InputFile): scripts/renode-robot.sh writes 1.2 s
# of the built-in synthetic guitar there (silence follows its end)
${AUDIO_INPUT}      ${CURDIR}/../../results/renode-robot/guitar.raw
${UART}             sysbus.usart3
# Renode runs one instruction per tick at PerformanceInMips; the M7 issues up to two per cycle, and the
# simulator's cycle model runs the nano f32 ISR at ~1.47 instructions per cycle: 216 MHz x 1.5 = 324 MIPS,
# as the renode target sets it (docs/renode.md, "What Renode measures")
${MIPS}             324
# the firmware reports every 1000 ms of audio, counted in blocks: ceil(1000 ms x 48 kHz / 32) = 1500 blocks
${REPORT_BLOCKS}    1500
# start-up (clock, engine, DMA) takes a few ms of virtual time: 0.5 s leaves room
${START_TIMEOUT}    0.5
# the first report comes after 1500 blocks of 32 frames at 47 991 Hz (PLLSAI): 1.0002 s, plus start-up
${REPORT_TIMEOUT}   2


*** Keywords ***
Create Board Playing ${input}
    Execute Command         set bin @${AUDIO}
    Execute Command         include @${RESC}
    Execute Command         cpu PerformanceInMips ${MIPS}
    Execute Command         sai1 InputFile @${input}
    Create Terminal Tester  ${UART}


*** Test Cases ***
Should Start The Engine At 48 kHz With 32-Sample Blocks
    Create Board Playing ${AUDIO_INPUT}
    Start Emulation
    Wait For Line On Uart   M7AMP AUDIO START model=nano precision=f32 rate=48000 fs_mhz=47991071 block=32 latency=64    timeout=${START_TIMEOUT}

Should Report A Second Of Blocks Without Overruns Or Errors
    Create Board Playing ${AUDIO_INPUT}
    Start Emulation
    Wait For Line On Uart   M7AMP AUDIO STATS blocks=${REPORT_BLOCKS} overruns=0 cycles_min=\\d+ cycles_avg=\\d+ cycles_max=\\d+ load_avg=[\\d.]+% load_max=[\\d.]+% dma_errors=0 sai_errors=0    timeout=${REPORT_TIMEOUT}    treatAsRegex=true
