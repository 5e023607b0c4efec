*** Settings ***
Documentation       The selftest firmware on the m7amp board description in Renode, written with Renode's
...                 own keywords (renode-keywords.robot) and run by Renode's renode-test:
...                 scripts/renode-robot.sh (make renode-robot). Timeouts are virtual time.
Suite Setup         Setup
Suite Teardown      Teardown
Test Setup          Reset Emulation
Test Teardown       Test Teardown
Resource            ${RENODEKEYWORDS}


*** Variables ***
${RESC}             ${CURDIR}/../m7amp.resc
${SELFTEST}         ${CURDIR}/../../build/fw/firmware/app/selftest/selftest.elf
${UART}             sysbus.usart3
# the whole selftest takes 17 ms of virtual time (216 MHz); 1 s leaves room, not hours
${RUN_TIMEOUT}      1


*** Keywords ***
Create Board Running ${elf}
    Execute Command         set bin @${elf}
    Execute Command         include @${RESC}
    Create Terminal Tester  ${UART}


*** Test Cases ***
Should Print The Clock Banner On USART3
    Create Board Running ${SELFTEST}
    Start Emulation
    Wait For Line On Uart   clock: HSE-bypass 8 MHz -> PLL M=4 N=216 P=2 Q=9: SYSCLK 216 MHz    timeout=${RUN_TIMEOUT}

Should Pass Every Selftest Check
    Create Board Running ${SELFTEST}
    Start Emulation
    Wait For Line On Uart   58 checks, 0 failed     timeout=${RUN_TIMEOUT}
    Wait For Line On Uart   M7AMP SELFTEST PASS     timeout=${RUN_TIMEOUT}

Should Stop Through The m7_exit Hook With Status 0
    Create Board Running ${SELFTEST}
    Create Log Tester       ${RUN_TIMEOUT}
    Start Emulation
    Wait For Log Entry      m7_exit(0): the firmware stopped
