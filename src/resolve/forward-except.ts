// `forward ... { except ZONES }`: names under these zones are never sent upstream; they get
// REFUSED as any name no link answers does.
import type { Answer, Question } from '../dns/types.js';
import { refusedAnswer } from './chain.js';
import type { Resolver } from './types.js';
import { ZoneList } from '../dns/zones.js';

export class ForwardExcept implements Resolver {
  private readonly zones: ZoneList;

  constructor(zones: readonly string[]) {
    this.zones = new ZoneList(zones);
  }

  resolve(question: Question): Answer | undefined {
    return this.zones.holds(question.name) ? refusedAnswer() : undefined;
  }
}
