import { Virtualizer, elementScroll, observeElementOffset, observeElementRect, type VirtualItem } from '@tanstack/virtual-core';

/**
 * Rows of a scrolling element, windowed by @tanstack/virtual-core: only the rows in view (plus
 * `overscan`) exist, each measured as rendered (a row with an error and its remedy is taller).
 * The core is driven through runes here: TanStack's Svelte adapter is a store that loses the
 * scroll element under Svelte 5 (https://github.com/TanStack/virtual/issues/866).
 */
export interface VirtualRowsOptions {
  count: number;
  /** Height of a row not measured yet, in px. */
  estimateSize: number;
  overscan: number;
  /** Space before the first row (a sticky header inside the scroller), in px; scrolling to a row keeps it clear of that space. */
  paddingStart?: number;
  /** A stable key per row (measurements follow the key when rows are sorted or filtered). */
  getItemKey: (index: number) => string | number;
}

export class VirtualRows {
  items = $state.raw<VirtualItem[]>([]);
  totalSize = $state(0);
  private readonly core: Virtualizer<HTMLElement, HTMLElement>;
  private element: HTMLElement | null = null;

  constructor(opts: VirtualRowsOptions) {
    this.core = new Virtualizer(this.options(opts));
  }

  private options(o: VirtualRowsOptions) {
    return {
      count: o.count,
      estimateSize: () => o.estimateSize,
      overscan: o.overscan,
      paddingStart: o.paddingStart ?? 0,
      scrollPaddingStart: o.paddingStart ?? 0,
      getItemKey: o.getItemKey,
      getScrollElement: () => this.element,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      onChange: () => this.sync(),
    };
  }

  private sync(): void {
    this.items = this.core.getVirtualItems();
    this.totalSize = this.core.getTotalSize();
  }

  /** Starts watching the scroll element; returns the clean-up (an $effect's return value). */
  mount(element: HTMLElement): () => void {
    this.element = element;
    const unmount = this.core._didMount();
    this.core._willUpdate();
    this.sync();
    return () => {
      unmount();
      this.element = null;
    };
  }

  /** New rows (count, keys): call before the DOM updates ($effect.pre). */
  update(opts: VirtualRowsOptions): void {
    this.core.setOptions(this.options(opts));
    this.core._willUpdate();
    this.sync();
  }

  /** An attachment for each rendered row (it needs `data-index`): measures it now and when it resizes. */
  readonly measure = (node: HTMLElement): void => {
    this.core.measureElement(node);
  };

  scrollToIndex(index: number): void {
    this.core.scrollToIndex(index, { align: 'auto' });
  }
}
