// POST /api/v1/events → ingestion (being written).
import { Router } from 'express';
import type { AppContext } from '../app';

export function createIngestRouter(_ctx: AppContext): Router {
  return Router();
}
