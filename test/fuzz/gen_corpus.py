#!/usr/bin/env python3
"""Writes the committed seed corpora of the libFuzzer harnesses (test/fuzz/corpus/<name>/).

Small valid and invalid inputs in each harness's input format (see the comment at the top of
fuzz_<name>.cc). Deterministic: rerun after changing a format and commit the result.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, label, data):
    d = os.path.join(HERE, 'corpus', name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, label), 'wb') as f:
        f.write(bytes(data))


def st_file(header, data_len, raw=None):
    h = (raw if raw is not None else json.dumps(header, separators=(',', ':'))).encode('utf-8')
    return struct.pack('<Q', len(h)) + h + bytes(data_len)


def safetensors():
    t = lambda dtype, shape, b, e: {'dtype': dtype, 'shape': shape, 'data_offsets': [b, e]}
    valid = {
        'every_dtype': ({'__metadata__': {'format': 'pt', 'nnslim.architecture': '{"format":"nnslim.sequential"}'},
                         'w': t('F32', [2, 3], 0, 24), 'h': t('F16', [2], 24, 28), 'q': t('I8', [3], 28, 31),
                         'u': t('U8', [1, 1], 31, 32), 'i': t('I32', [], 32, 36), 'e': t('F32', [0, 4], 36, 36)}, 36),
        'empty': ({}, 0),
        'metadata_only': ({'__metadata__': {'k': 'v', 'esc': '\u00e9\n"\\'}}, 0),
        'model_like': ({'__metadata__': {'nnslim.sha256': '0' * 64}, '0.weight': t('I8', [4, 4], 0, 16),
                        '0.weight_scale': t('F32', [1], 16, 20), '0.weight_zero_point': t('I32', [1], 20, 24),
                        '0.bias': t('F32', [4], 24, 40)}, 40),
    }
    for label, (h, n) in valid.items():
        write('safetensors', f'file_{label}', b'\x00' + st_file(h, n))
        # header-only mode: byte 0 = 2 * (data bytes / 4) + 1
        if n % 4 == 0 and n // 4 < 128:
            write('safetensors', f'json_{label}', bytes([2 * (n // 4) + 1]) + json.dumps(h, separators=(',', ':')).encode())
    t4 = t('F32', [2], 0, 8)
    invalid = {
        'overlap': ({'a': t4, 'b': t('F32', [2], 4, 12)}, 12, None),
        'gap': ({'a': t('F32', [1], 4, 8)}, 8, None),
        'trailing': ({'a': t('F32', [1], 0, 4)}, 8, None),
        'past_end': ({'a': t4}, 4, None),
        'shape_overflow': ({'a': t('F32', [2 ** 40, 2 ** 40], 0, 8)}, 8, None),
        'bad_dtype': ({'a': t('F64', [1], 0, 8)}, 8, None),
        'duplicate': (None, 8, '{"a":%s,"a":%s}' % (json.dumps(t4), json.dumps(t4))),
        'deep': (None, 0, '{"__metadata__":' + '[' * 80 + ']' * 80 + '}'),
        'surrogates': (None, 0, '{"__metadata__":{"a":"\\ud83d\\ude00","b":"\\ud800"}}'),
        'numbers': (None, 8, '{"a":{"dtype":"F32","shape":[2.0e0],"data_offsets":[-0,8e0]}}'),
        'truncated_json': (None, 0, '{"a": {"dtype": "F32",'),
    }
    for label, (h, n, raw) in invalid.items():
        write('safetensors', f'file_{label}', b'\x00' + st_file(h, n, raw))
    write('safetensors', 'file_short', b'\x00' + b'\x02\x00\x00')
    write('safetensors', 'file_huge_length', b'\x00' + struct.pack('<Q', 2 ** 63) + b'{}')
    write('safetensors', 'file_bad_utf8', b'\x00' + st_file(None, 0, '{"a":"x"}')[:-3] + b'\xff"}')


def csr():
    # rows, cols, mode, then the fields fuzz_csr.cc reads for that mode
    def mk(rows, cols, rp, ci, vals=(), mode=0, tail=()):
        out = [rows, cols, mode]
        out += [(v + 2) % 256 for v in rp]          # mode 0: row_ptr byte b -> b % 24 - 2
        out += [(c + 1) % 256 for c in ci]          # mode 0: col byte b -> b % 14 - 1
        return bytes(out + list(vals) + list(tail))
    write('csr', 'valid_2x3', mk(2, 3, [0, 2, 3], [0, 2, 1], [5, 250, 7], tail=[1, 8, 9, 10, 250, 3, 4]))
    write('csr', 'valid_empty_rows', mk(3, 4, [0, 0, 2, 2], [1, 3], [1, 2], tail=[2] + list(range(1, 9))))
    write('csr', 'valid_zero', mk(0, 0, [0], []))
    write('csr', 'unsorted', mk(2, 3, [0, 2, 3], [2, 0, 1]))
    write('csr', 'col_out_of_range', mk(2, 3, [0, 2, 3], [0, 3, 1]))
    write('csr', 'decreasing', mk(3, 3, [0, 2, 1, 2], [0, 1]))
    write('csr', 'running_sum', bytes([5, 7, 4] + [3, 1, 4, 1, 5, 9] + list(range(1, 30))))
    write('csr', 'wild', bytes([9, 9, 0x3f] + list(range(0, 255, 3))))


def model_state():
    # out-1, in-1, flags (1 per channel, 2 plain, 4 bias, 8 odd bias values), skew, arrays...
    plain = bytes([3, 4, 2 | 4, 0]) + bytes(range(20)) + bytes([8]) + bytes([0]) + bytes([1, 2, 3, 4]) + bytes([1, 5]) + bytes(range(10))
    write('model_state', 'plain_bias', plain)
    n = 4 * 7
    mask = bytes([0b10010001, 0b00000110, 0xff, 0b0101])
    bits = sum(bin(b).count('1') for b in mask)
    write('model_state', 'mask_per_channel', bytes([3, 6, 1, 0]) + mask + bytes(range(1, bits + 1)) + bytes([4, 9, 16, 2]) + bytes([0, 1, 255, 128]) + bytes([2]) + bytes(range(14)))
    write('model_state', 'mask_tail_bits', bytes([0, 4, 0, 2]) + bytes([0xff]) + bytes(range(8)))
    write('model_state', 'bad_lengths', bytes([2, 2, 1 | 4, 0xff]) + bytes(range(64)))
    write('model_state', 'bad_qparams', bytes([1, 1, 2 | 8 | 4, 16 | 64]) + bytes(range(40)))


if __name__ == '__main__':
    safetensors()
    csr()
    model_state()
