import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes';

describe('deployment artifacts', () => {
  it('registers every search attribute the workflows set, with the same type', () => {
    const script = readFileSync(
      path.resolve(__dirname, '..', '..', 'deploy', 'temporal', 'create-namespace.sh'),
      'utf8',
    );
    const typeNames: Record<string, string> = {
      KEYWORD: 'Keyword',
      KEYWORD_LIST: 'KeywordList',
      INT: 'Int',
      DATETIME: 'Datetime',
      TEXT: 'Text',
      BOOL: 'Bool',
      DOUBLE: 'Double',
    };
    for (const key of SEARCH_ATTRIBUTE_KEYS) expect(script).toContain(`${key.name}:${typeNames[key.type]}`);
  });
});
