module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Orders_Process($orders: List of Order) {
  for $order in $orders {
    if $order/Total = 0 {
      continue
    }
    commit $order on error {
      break
    }
  }
  if count($orders) > 100 {
    break
//~ NF401 @5 break
  }
  commit $orders on error {
    continue
//~ NF401 @5 continue
  }
}

microflow MF_Stop() {
  log info 'stopping'
  break
//~ NF401 @3 break
}
