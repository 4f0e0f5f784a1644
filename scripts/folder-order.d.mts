export declare const FOLDER_ORDER: string[][];
export declare function layerOf(entry: string): number | undefined;
