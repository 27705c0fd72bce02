'''The bed's fake kernel files: the RTC under the fake sysfs root with the
kernel's suspend_stats, and what a hibernation needs (swaps and meminfo
under the fake /proc, image_size, resume and the block device, the ACPI
FADT). TestBed.make_rtc() and make_hibernation() write them.
'''

import os
import shutil
import time


def make_rtc(bed, present=True, name='rtc_cmos', wakealarm=True, wakeup='enabled',
             alarm=None, since_epoch=None):
    '''(Re)creates <sysfs>/class/rtc/rtc0 as a plain tree: name,
    wakealarm (absent if wakealarm=False; holds `alarm` if given),
    since_epoch, device/power/wakeup (absent if wakeup=None). The first
    time, also <sysfs>/power/suspend_stats/{success,fail} at 0, owned by
    root and read-only to others like the kernel's, which the mock
    logind counts up as a kernel would and hostpm-sleep takes as
    evidence of a sleep.'''
    if not bed._rtc_made:
        make_hibernation(bed)
        os.makedirs(bed.suspend_stats_dir, mode=0o755)
        for counter in ('success', 'fail'):
            with open(os.path.join(bed.suspend_stats_dir, counter), 'w', encoding='ascii') as f:
                f.write('0\n')
            os.chmod(os.path.join(bed.suspend_stats_dir, counter), 0o644)
    bed._rtc_made = True
    shutil.rmtree(os.path.join(bed.sysfs_root, 'class'), ignore_errors=True)
    if not present:
        return
    os.makedirs(os.path.join(bed.rtc_dir, 'device', 'power'))
    files = {'name': f'{name}\n',
             'since_epoch': f'{since_epoch if since_epoch is not None else int(time.time())}\n'}
    if wakealarm:
        files['wakealarm'] = f'{alarm}\n' if alarm else ''
    if wakeup is not None:
        files[os.path.join('device', 'power', 'wakeup')] = f'{wakeup}\n'
    for relative, content in files.items():
        with open(os.path.join(bed.rtc_dir, relative), 'w', encoding='ascii') as f:
            f.write(content)

def make_hibernation(bed, swap_kib=1048572, swap_used_kib=0, swaps=None, mem_total_kib=1015808,
                     mem_free_kib=839680, image_size=415875072, resume='254:16', resume_present=True,
                     rtc_s4=True, fadt_alarms=(0, 0), proc_files=True):
    '''(Re)writes what a hibernation needs, as the kernel shows it:
    <proc>/swaps with one swap partition of swap_kib (or the lines
    `swaps`, a list of (name, type, size_kib, used_kib)), <proc>/meminfo,
    <sysfs>/power/image_size and /resume (None: no file), and
    <sysfs>/dev/block/<resume> if resume_present, and the ACPI FADT
    (<sysfs>/firmware/acpi/tables/FACP) with its RTC_S4 flag as rtc_s4
    says (None: no table), the CMOS indices of the day and month alarm
    as fadt_alarms says ((0, 0): none, as in QEMU, whose rtc_cmos takes
    alarms up to a day ahead) and QEMU's century index.
    proc_files=False, image_size=None: those files are missing. The
    defaults fit: the image is about 172 MiB.'''
    if swaps is None:
        swaps = [('/dev/vdb', 'partition', swap_kib, swap_used_kib)] if swap_kib else []
    lines = ['Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority']
    lines += [f'{n:<40}{t}\t{size}\t\t{used}\t\t-2' for n, t, size, used in swaps]
    files = {os.path.join(bed.proc_root, 'swaps'): '\n'.join(lines) + '\n',
             os.path.join(bed.proc_root, 'meminfo'):
                 f'MemTotal:       {mem_total_kib} kB\nMemFree:        {mem_free_kib} kB\n'
                 f'MemAvailable:   {mem_free_kib} kB\n',
             os.path.join(bed.sysfs_root, 'power', 'image_size'): f'{image_size}\n'}
    for path in list(files):
        if (image_size is None and path.endswith('image_size')) or \
                (not proc_files and path.startswith(bed.proc_root)):
            del files[path]
            if os.path.exists(path):
                os.unlink(path)
    resume_path = os.path.join(bed.sysfs_root, 'power', 'resume')
    if resume is not None:
        files[resume_path] = f'{resume}\n'
    elif os.path.exists(resume_path):
        os.unlink(resume_path)
    os.makedirs(os.path.join(bed.sysfs_root, 'power'), exist_ok=True)
    for path, content in files.items():
        with open(path, 'w', encoding='ascii') as f:
            f.write(content)
    tables = os.path.join(bed.sysfs_root, 'firmware', 'acpi', 'tables')
    shutil.rmtree(tables, ignore_errors=True)
    if rtc_s4 is not None:
        os.makedirs(tables)
        fadt = bytearray(b'FACP' + bytes(240))
        fadt[106:109] = bytes((*fadt_alarms, 0x32))  # DAY_ALRM, MON_ALRM, CENTURY
        # q35's flags, 0x84a5, with RTC_S4 (bit 7) as rtc_s4 says
        fadt[112:116] = ((0x84a5 & ~0x80) | (0x80 if rtc_s4 else 0)).to_bytes(4, 'little')
        with open(os.path.join(tables, 'FACP'), 'wb') as f:
            f.write(fadt)
        os.chmod(os.path.join(tables, 'FACP'), 0o400)
    block = os.path.join(bed.sysfs_root, 'dev', 'block')
    shutil.rmtree(block, ignore_errors=True)
    os.makedirs(block)
    if resume and resume_present:
        os.makedirs(os.path.join(block, resume))
