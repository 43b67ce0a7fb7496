import { DeviceError } from '../common/bus-port.ts';

// Pixel formats the FIMC-like camera writes, with the frame geometry the DMA walks line by line.
// 4:2:0 NV12: a Y plane of w×h bytes then an interleaved CbCr plane of w×h/2 bytes (single buffer, Cb at
// Y + w·h), or the same two planes in two buffers (NV12M). YUYV: one plane of 2 bytes per pixel.

export type PixelFormat = 'NV12' | 'NV12M' | 'YUYV';

/** Exynos4x12 `samsung,pix-limits = <4224 8192 1920 4224>`: the largest output the scaler path takes. */
export const MAX_WIDTH = 4224;
export const MAX_HEIGHT = 4224;

export interface PlaneLayout {
  /** Bytes per line. */
  stride: number;
  lines: number;
  size: number;
}

export interface FrameLayout {
  format: PixelFormat;
  width: number;
  height: number;
  /** Buffers (planes in the V4L2 multi-planar sense): 1, or 2 for NV12M. */
  planes: PlaneLayout[];
  /** For single-buffer formats, the plane regions inside the one buffer (NV12: Y then CbCr). */
  regions: { plane: number; offset: number; stride: number; lines: number }[];
  totalLines: number;
  frameBytes: number;
}

export function frameLayout(format: PixelFormat, width: number, height: number): FrameLayout {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) {
    throw new DeviceError(`camera format ${format}: width and height must be integers ≥ 2, got ${width}×${height}`);
  }
  if (width > MAX_WIDTH || height > MAX_HEIGHT) {
    throw new DeviceError(`camera format ${format}: ${width}×${height} exceeds the Exynos4x12 FIMC limit of ${MAX_WIDTH}×${MAX_HEIGHT}`);
  }
  if (format !== 'YUYV' && (width % 2 !== 0 || height % 2 !== 0)) {
    throw new DeviceError(`camera format ${format}: 4:2:0 needs an even width and height, got ${width}×${height}`);
  }
  if (format === 'YUYV') {
    const p = { stride: width * 2, lines: height, size: width * 2 * height };
    return { format, width, height, planes: [p], regions: [{ plane: 0, offset: 0, stride: p.stride, lines: height }], totalLines: height, frameBytes: p.size };
  }
  const y = { stride: width, lines: height, size: width * height };
  const c = { stride: width, lines: height / 2, size: (width * height) / 2 };
  if (format === 'NV12') {
    const one = { stride: width, lines: height + height / 2, size: y.size + c.size };
    return {
      format, width, height, planes: [one],
      regions: [{ plane: 0, offset: 0, stride: width, lines: height }, { plane: 0, offset: y.size, stride: width, lines: height / 2 }],
      totalLines: height + height / 2, frameBytes: one.size,
    };
  }
  if (format === 'NV12M') {
    return {
      format, width, height, planes: [y, c],
      regions: [{ plane: 0, offset: 0, stride: width, lines: height }, { plane: 1, offset: 0, stride: width, lines: height / 2 }],
      totalLines: height + height / 2, frameBytes: y.size + c.size,
    };
  }
  throw new DeviceError(`camera: unknown pixel format ${String(format)} (expected NV12, NV12M or YUYV)`);
}
